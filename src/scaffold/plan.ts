/**
 * From a loaded bundle to what its scaffolded mapping.yaml says: per operation its default
 * route, an example route no other route can clash with, its input and output fields and its
 * declared faults.
 */
import type { Bundle } from '../compile';
import type { Diagnostic } from '../compile/diagnostics';
import { SchemaView } from '../mapping/schema-view';
import type { OperationModel } from '../model/operation';
import type { JsonSchema } from '../model/route';
import { listFields } from './fields';
import type { MappingPlan, OperationPlan } from './mapping-text';
import { mappableName } from './yaml-text';

/** Nested input structures are opened this deep; the output shows its top level. */
const INPUT_LIMITS = { depth: 3, lines: 40 };
const OUTPUT_LIMITS = { depth: 1, lines: 30 };

/** `GetOrderStatus` -> `get-order-status`: the path of the example route. */
export function routeSlug(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  return s || 'operation';
}

/**
 * Example routes, one per operation, that clash neither with each other nor with the default
 * route `POST /{Name}` of another operation (a custom route would silently take that one's place).
 */
function exampleRoutes(names: string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const name of names) {
    const base = routeSlug(name);
    let slug = base;
    for (let n = 2; used.has(slug) || names.some((other) => other !== name && other === slug); n++) slug = `${base}-${n}`;
    used.add(slug);
    out.set(name, `POST /${slug}`);
  }
  return out;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Why an operation the WSDL declares is not served: the loader's warning, when it gave one. */
function disabledReason(name: string, diagnostics: Diagnostic[]): string {
  const prefix = `operation ${name} is disabled: `;
  const d = diagnostics.find((x) => x.message.startsWith(prefix));
  return d ? d.message.slice(prefix.length) : 'the bridge cannot serve it (see `soap-bridge validate`)';
}

/** When the output is a single structure (`{"order": {…}}`), answering with it alone is the obvious reshaping. */
function pickCandidate(view: SchemaView, output: JsonSchema): string | undefined {
  if (view.kind(output) !== 'object') return undefined;
  const props = [...view.properties(output)];
  if (props.length !== 1) return undefined;
  const [name, info] = props[0];
  return view.kind(info.schema) === 'object' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? name : undefined;
}

function planOperation(service: string, name: string, models: OperationModel[], bundle: Bundle, view: SchemaView, route: string, diagnostics: Diagnostic[]): OperationPlan {
  const op = bundle.operations.get(name);
  const base: OperationPlan = {
    name,
    documentation: models.find((m) => m.documentation)?.documentation,
    defaultRoute: `POST /api/${encodeURIComponent(service)}/${encodeURIComponent(name)}`,
    exampleRoute: route,
    input: { lines: [], omitted: 0 },
    faultDetails: [],
    clientCode: 'Client',
  };
  if (!mappableName(name)) return { ...base, disabled: 'its name cannot be written as a mapping key' };
  if (!op) return { ...base, disabled: disabledReason(name, diagnostics) };
  const outSchema = op.outputDef ? view.def(op.outputDef) : undefined;
  const output = outSchema && op.model.output ? listFields(view, outSchema, op.model.output.type, OUTPUT_LIMITS) : undefined;
  return {
    ...base,
    input: listFields(view, view.def(op.inputDef), op.model.input.type, INPUT_LIMITS),
    output,
    pick: outSchema ? pickCandidate(view, outSchema) : undefined,
    faultDetails: unique(op.model.faults.flatMap((f) => (f.element && mappableName(f.element.name.local) ? [f.element.name.local] : []))),
    clientCode: op.model.soapVersion === '1.2' ? 'Sender' : 'Client',
  };
}

/**
 * Operations the loader could not even model (their binding or types are broken) are not among
 * the bundle's models; its warnings name them, and the scaffold lists them as disabled too.
 */
function unmodelled(known: string[], service: string, diagnostics: Diagnostic[]): OperationPlan[] {
  const out = new Map<string, OperationPlan>();
  for (const d of diagnostics) {
    const m = /^operation (.+?) is disabled: (.*)$/s.exec(d.message);
    if (!m || m[1] === '?' || known.includes(m[1]) || out.has(m[1])) continue;
    out.set(m[1], {
      name: m[1],
      defaultRoute: `POST /api/${encodeURIComponent(service)}/${encodeURIComponent(m[1])}`,
      exampleRoute: '',
      input: { lines: [], omitted: 0 },
      faultDetails: [],
      clientCode: 'Client',
      disabled: m[2],
    });
  }
  return [...out.values()];
}

export function planMapping(bundle: Bundle, service: string, source: string, wsdl: string | undefined, diagnostics: Diagnostic[]): MappingPlan {
  const view = new SchemaView(bundle.schema);
  const names = unique(bundle.models.map((m) => m.name));
  const routes = exampleRoutes(names);
  const served = [...bundle.operations.values()].map((o) => o.model);
  return {
    name: service,
    source,
    wsdl,
    addresses: unique(served.flatMap((m) => (m.address ? [m.address] : []))),
    soapVersions: unique(bundle.models.map((m) => m.soapVersion)),
    operations: [...names.map((n) => planOperation(service, n, bundle.models.filter((m) => m.name === n), bundle, view, routes.get(n)!, diagnostics)), ...unmodelled(names, service, diagnostics)],
    disabledBindings: diagnostics.flatMap((d) => (/^binding .+ is disabled: /s.test(d.message) ? [d.message] : [])),
  };
}
