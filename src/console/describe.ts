/**
 * What the console shows of a bundle's operations: the operations of both facades, and one
 * operation's routes, JSON Schemas, a schema-valid sample input (src/sample) and, for a service
 * with a SOAP facade, the envelope a SOAP client would send (the bridge's own encoder).
 */
import type { Bundle, CompiledOperation } from '../compile';
import { BridgeError } from '../errors/catalogue';
import { didYouMean } from '../mapping';
import type { JsonSchema } from '../model/route';
import { Sampler } from '../sample';

/** The operations of a bundle: those of the REST facade, then those only the SOAP facade has (SOAP 1.1 first). */
export function operationsOf(bundle: Bundle): CompiledOperation[] {
  const out = new Map<string, CompiledOperation>(bundle.operations);
  if (bundle.soapFacade) {
    for (const version of ['1.1', '1.2'] as const) {
      for (const ops of bundle.soapOperations.get(version)?.values() ?? []) for (const op of ops) if (!out.has(op.name)) out.set(op.name, op);
    }
  }
  return [...out.values()];
}

export function findOperation(bundle: Bundle, name: string): CompiledOperation {
  const op = operationsOf(bundle).find((o) => o.name === name);
  if (op) return op;
  const hint = didYouMean(name, operationsOf(bundle).map((o) => o.name));
  throw new BridgeError('NOT_FOUND', `service "${bundle.name}" has no operation "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
}

/** A schema of the bundle's document standing on its own: `$ref` to the def, with every `$defs` entry it reaches. */
export function standalone(bundle: Bundle, def: string): JsonSchema {
  const all = (bundle.schema.$defs ?? {}) as Record<string, JsonSchema>;
  const reached: Record<string, JsonSchema> = {};
  const pending = [def];
  while (pending.length) {
    const name = pending.pop()!;
    if (name in reached || !(name in all)) continue;
    reached[name] = all[name];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') {
            const m = /#\/\$defs\/(.+)$/.exec(x);
            if (m) pending.push(decodeURIComponent(m[1]));
          } else walk(x);
        }
      }
    };
    walk(all[name]);
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $ref: `#/$defs/${encodeURIComponent(def)}`, $defs: reached };
}

/** A sample input of the operation that its own validator accepts; undefined when none can be made. */
export function sampleInput(bundle: Bundle, op: CompiledOperation): unknown {
  const result = new Sampler([bundle.schema]).sample({ $ref: `#/$defs/${op.inputDef}` }, bundle.schema);
  if (!result.ok) return undefined;
  return op.validateInput(result.value) === undefined ? result.value : undefined;
}

/** The operation as one SOAP version's facade dispatches it (the envelope a SOAP client sends). */
function soapOperation(bundle: Bundle, name: string): CompiledOperation | undefined {
  for (const version of ['1.1', '1.2'] as const) {
    for (const ops of bundle.soapOperations.get(version)?.values() ?? []) {
      const op = ops.find((o) => o.name === name);
      if (op) return op;
    }
  }
  return undefined;
}

export function operationDetail(bundle: Bundle, op: CompiledOperation): Record<string, unknown> {
  const sample = sampleInput(bundle, op);
  const out: Record<string, unknown> = {
    name: op.name,
    service: bundle.name,
    routes: bundle.routes.filter((r) => r.operation === op.name).map((r) => ({ method: r.method, path: r.path, params: r.parameters })),
    inputSchema: standalone(bundle, op.inputDef),
    outputSchema: op.outputDef === undefined ? null : standalone(bundle, op.outputDef),
    sample: sample ?? null,
  };
  if (bundle.soapFacade && sample !== undefined) {
    const soapOp = soapOperation(bundle, op.name) ?? op;
    try {
      out.soapSample = soapOp.encodeRequest(sample);
    } catch {
      /* no envelope for a sample the encoder cannot write */
    }
  }
  return out;
}
