/**
 * The text of a scaffolded mapping.yaml. As written it sets only `name` (and `wsdl` where the
 * bundle needs it), so it is valid and changes nothing; everything else is there to uncomment.
 *
 * Two kinds of comment lines, so that uncommenting a block never turns prose into YAML:
 *   `# key: value`  a setting: remove "# " (an editor's toggle-comment does) to turn it on;
 *   `## text`       an explanation: toggling it leaves `# text`, still a comment.
 * An operation's block starts at `  # Name:`; every line of it starts with "  # ", so removing
 * that marker from all of them gives a valid entry under `operations:`.
 */
import type { FieldLine, FieldListing } from './fields';
import { alignComments, bodySourceText, fieldPathText, oneLine, yamlScalar } from './yaml-text';

export interface OperationPlan {
  name: string;
  documentation?: string;
  /** Why the bridge disabled it; the operation then gets no block. */
  disabled?: string;
  defaultRoute: string;
  /** The example custom route, `POST /some-path` (unique within the bundle). */
  exampleRoute: string;
  input: FieldListing;
  /** Undefined for a one-way operation. */
  output?: FieldListing;
  /** A field of the output worth answering with alone (`pick:`), when there is one obvious one. */
  pick?: string;
  faultDetails: string[];
  /** The SOAP fault code a caller's mistake comes back as: Client (1.1) or Sender (1.2). */
  clientCode: 'Client' | 'Sender';
}

export interface MappingPlan {
  name: string;
  /** The WSDL file name as given, for the header. */
  source: string;
  /** Set when the bundle needs `wsdl:` (the WSDL is not the single .wsdl at its top). */
  wsdl?: string;
  /** The WSDL's soap:address locations (distinct). */
  addresses: string[];
  soapVersions: string[];
  operations: OperationPlan[];
  /** The loader's warnings about bindings it could not use (their operations may be missing). */
  disabledBindings: string[];
}

const RULE = '─'.repeat(60);

/** An http(s) URL that can be offered as a value: `${` would be read as a variable. */
function offerableUrl(url: string): boolean {
  return /^https?:\/\/\S+$/.test(url) && !url.includes('${') && oneLine(url, 400) === url;
}

function header(plan: MappingPlan): string[] {
  const api = `/api/${encodeURIComponent(plan.name)}`;
  return [
    `## mapping.yaml of the "${oneLine(plan.name)}" service, written by \`soap-bridge init ${oneLine(plan.source, 120)}\`.`,
    '##',
    `## As written it changes nothing: every operation answers on its default route,`,
    `## POST ${api}/{Operation}, with the operation's input as JSON (the WSDL's JSON form).`,
    '## Edit it to rename routes and fields, map faults to HTTP statuses, set backends.',
    '##',
    '## Lines starting with "# " are settings: remove the "# " to turn one on (an editor\'s',
    '## toggle-comment, Ctrl+/ or Cmd+/, does it for a whole block). Lines starting with "##"',
    '## explain; toggling them leaves them comments. Any string may use ${VAR} or ${VAR:-default}',
    '## for values from the environment (secrets belong there, never in this file).',
    '## Check your edits with `soap-bridge validate --services <folder holding this bundle>`.',
    '',
  ];
}

function fixedKeys(plan: MappingPlan): string[] {
  const out: string[] = ['## The URL name of the service: routes are /api/<name>/… and /soap/<name>.', `name: ${yamlScalar(plan.name)}`, ''];
  if (plan.wsdl !== undefined) out.push('## The WSDL of this bundle, relative to this folder.', `wsdl: ${yamlScalar(plan.wsdl)}`, '');
  out.push('## soapBackend: the SOAP endpoint JSON callers of the REST facade reach.');
  const offered = plan.addresses.filter(offerableUrl);
  if (plan.addresses.length === 0) {
    out.push("## The WSDL has no soap:address: set one, or calls answer 502.", '# soapBackend: http://soap-backend.example/service', '');
  } else if (plan.addresses.length === 1 && offered.length === 1) {
    out.push("## Default: the WSDL's soap:address, shown here; set it to call another endpoint.", `# soapBackend: ${yamlScalar(offered[0])}`, '');
  } else {
    // Several ports with their own addresses, or an address that cannot be written as a value.
    out.push(plan.addresses.length === 1 ? "## Default: the WSDL's soap:address:" : "## Default: each port's soap:address in the WSDL:");
    for (const a of plan.addresses) out.push(`##   ${oneLine(a, 200)}${offerableUrl(a) ? '' : '   (not a plain http(s) URL, or it holds ${, read here as a variable)'}`);
    out.push('## Setting it sends every operation to that one endpoint.', `# soapBackend: ${yamlScalar(offered[0] ?? 'http://soap-backend.example/service')}`, '');
  }
  out.push(
    '## restBackend: turns the SOAP facade on: SOAP callers of /soap/<name> reach this JSON service',
    '## (POST {restBackend}/{Operation} with the input as JSON; see restCall to shape the call).',
    '## With restBackend and no soapBackend the REST facade (the routes below) is off.',
    `# restBackend: http://json-service.example/${encodeURIComponent(plan.name)}`,
    '',
    '## Backend call timeout in milliseconds; default BACKEND_TIMEOUT_MS (30000).',
    '# timeoutMs: 5000',
    '',
  );
  out.push(
    '## Every operation answers on POST /api/<name>/{Operation}, also when it has a route of its',
    '## own below; to serve only the routes given under `operations:`, turn the defaults off:',
    '# defaultRoutes: false',
    '',
  );
  const shared = sharedFaults(plan);
  if (shared.length > 0) {
    out.push("## Fault rules for every operation (an operation's own rules are tried first):", '# faults:');
    for (const [detail, ops] of shared) out.push(...faultRule(detail, '#   ', `declared by ${oneLine(ops.join(', '), 120)}`));
    out.push('');
  }
  if (plan.soapVersions.includes('1.1') && plan.soapVersions.includes('1.2')) {
    out.push('## The WSDL has SOAP 1.1 and SOAP 1.2 bindings; the REST facade uses 1.1 unless:', '# soapVersion: "1.2"', '');
  }
  return out;
}

/** Fault details that several operations declare: worth one rule for the whole bundle. */
function sharedFaults(plan: MappingPlan): [string, string[]][] {
  const byDetail = new Map<string, string[]>();
  for (const op of plan.operations) for (const d of op.faultDetails) byDetail.set(d, [...(byDetail.get(d) ?? []), op.name]);
  return [...byDetail].filter(([, ops]) => ops.length > 1);
}

/** `  #       target: body.path   # label` lines of a `fields:` map, at the given depth. */
function fieldRows(listing: FieldListing, indent: string): string[] {
  const rows = listing.lines.map((l: FieldLine) => {
    if (l.kind === 'note') return { text: `## ${oneLine(fieldPathText(l.path))}: ${l.label}` };
    return { text: `${yamlScalar(fieldPathText(l.path))}: ${yamlScalar(bodySourceText(l.path))}`, comment: l.label };
  });
  const lines = alignComments(rows, `  #${indent}`);
  if (listing.omitted > 0) lines.push(`  #${indent}## … and ${listing.omitted} more field${listing.omitted === 1 ? '' : 's'}, not listed here`);
  return lines;
}

const hasRules = (l: FieldListing | undefined): boolean => !!l && l.lines.some((x) => x.kind === 'rule');

/**
 * The same operation as a GET, when its whole input fits in the query string: a few simple
 * top-level fields (or none). Written as a comment on the example route.
 */
function getHint(op: OperationPlan): string | undefined {
  const lines = op.input.lines;
  if (op.input.omitted > 0 || lines.length > 5 || !lines.every((l) => l.kind === 'rule' && l.param && l.path.length === 1)) return undefined;
  const path = op.exampleRoute.replace(/^POST /, '');
  if (lines.length === 0) return `or GET ${path}: there is no input`;
  const sources = lines.map((l) => yamlScalar(`query.${l.path[0]}`));
  return `or GET ${path}, with ${sources.join(', ')} as the source${sources.length === 1 ? '' : 's'} below`;
}

function requestRows(op: OperationPlan): string[] {
  if (hasRules(op.input)) return ['  #   request:', '  #     fields:', ...fieldRows(op.input, '       ')];
  if (op.input.lines.length === 0) return ['  #   ## (no input fields)'];
  // Only notes: a `fields:` map with nothing in it would be null, which is not valid.
  return ['  #   ## No input field can be named by a mapping:', ...op.input.lines.map((l) => `  #   ##   ${oneLine(fieldPathText(l.path))}: ${l.label}`)];
}

function responseRows(op: OperationPlan): string[] {
  if (!op.output) return ['  #   ## (one-way: no response)'];
  if (!hasRules(op.output)) return [];
  const pick = op.pick ? `   # or answer with that part alone: pick: ${yamlScalar(op.pick)}` : '';
  return [`  #   response:${pick}`, '  #     fields:', ...fieldRows(op.output, '       ')];
}

/**
 * A first guess at the HTTP status of a declared fault, from its name; the integrator decides.
 * A declared fault is the service refusing a request it understood, so 422 unless the name
 * says more.
 */
export function guessStatus(detail: string): number {
  if (/not.?found|unknown|no.?such|missing/i.test(detail)) return 404;
  if (/unauthori[sz]ed|authentication|login|credential/i.test(detail)) return 401;
  if (/forbidden|denied|permission|not.?allowed/i.test(detail)) return 403;
  if (/conflict|already|duplicate|exists|cannot|concurren/i.test(detail)) return 409;
  if (/timeout|timed.?out|unavailable|busy/i.test(detail)) return 503;
  return 422;
}

function faultRule(detail: string, indent: string, why: string): string[] {
  return [`${indent}- detail: ${yamlScalar(detail)}   # ${why}`, `${indent}  status: ${guessStatus(detail)}   # optionally with type: <problem type URI> and title: <summary>`];
}

function faultRows(op: OperationPlan): string[] {
  const out = ['  #   faults:'];
  for (const d of op.faultDetails) out.push(...faultRule(d, '  #     ', `a fault the WSDL declares for ${oneLine(op.name, 80)}`));
  out.push(`  #     - code: ${op.clientCode}   # a SOAP Fault that blames the request`, '  #       status: 400');
  return out;
}

function operationBlock(op: OperationPlan): string[] {
  const name = oneLine(op.name, 80);
  const title = `  ## ── ${name} ${'─'.repeat(Math.max(3, 24 - Array.from(name).length))} `;
  if (op.disabled) return [`${title}disabled: ${oneLine(op.disabled, 300)}`, ''];
  const out = [`${title}default route: ${op.defaultRoute}`];
  if (op.documentation) out.push(`  ## ${oneLine(op.documentation, 300)}`);
  const hint = getHint(op);
  out.push(`  # ${yamlScalar(op.name)}:`, `  #   route: ${yamlScalar(op.exampleRoute)}${hint ? `   # ${hint}` : ''}`);
  out.push(...requestRows(op), ...responseRows(op), ...faultRows(op), '');
  return out;
}

function operationsIntro(plan: MappingPlan): string[] {
  const api = `/api/${encodeURIComponent(plan.name)}`;
  return [
    `## ${RULE}`,
    '## Operations. To change one, uncomment `operations:` just below (once), then the lines of',
    '## its block from "# Name:" down, and edit; delete what you do not need. An operation left',
    '## out keeps its default route. Each block is valid as it stands once uncommented.',
    `##   route:    METHOD /path below ${api}, beside the default route (see defaultRoutes).`,
    '##             A GET or DELETE has no body, and /path/{param} names parameters: then give',
    '##             each required field a source such as path.param, query.name or header.x-name.',
    '##   request:  fields: SOAP input field: its source (body.x, path.x, query.x, header.x,',
    '##             { from: query.x, default: 1 } or { const: 42 }); other fields pass as sent.',
    '##   response: fields: answer field: body.<SOAP output field>; other fields pass as received.',
    '##   faults:   a SOAP Fault (matched on detail, code or string) -> HTTP status; first match',
    '##             wins; a fault no rule matches is a 502 problem.',
    '# operations:',
    '',
  ];
}

export function mappingText(plan: MappingPlan): string {
  const out = [...header(plan), ...fixedKeys(plan), ...operationsIntro(plan)];
  for (const b of plan.disabledBindings) out.push(`  ## Disabled by the bridge: ${oneLine(b, 300)}`);
  if (plan.disabledBindings.length) out.push('');
  for (const op of plan.operations) out.push(...operationBlock(op));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
