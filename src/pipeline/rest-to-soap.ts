/**
 * The REST -> SOAP direction, one short stage per step:
 * validate JSON -> encode envelope -> call backend -> read envelope -> fault? -> decode -> validate.
 * Every failure leaves as a BridgeError from the catalogue.
 */
import type { CompiledOperation } from '../compile';
import type { Violation } from '../compile/codec';
import { BridgeError, type FaultInfo, type ProblemItem } from '../errors/catalogue';
import type { ApiRoute } from '../mapping/compile';
import { matchFault } from '../mapping/faults';
import type { RequestParts } from '../mapping/transform';
import { usernameTokenHeader } from '../soap/wssecurity';
import { mergeViolations } from './soap-to-rest';
import { closeEnvelope, EnvelopeError, openEnvelope, readFault, requestHeaders, takeFault } from '../soap/envelope';
import { Transport, TransportError, type HttpReply } from '../transport/http';
import { callPolicy, soapReplyFailed, transportFailure, type BackendContext } from './backend';
import { CharsetError, charsetOf, decodeXml } from '../xml/charset';
import { UnwritableCharError } from '../xml/escape';
import { lineCol } from '../xml/reader';
import { XmlError, XmlStream, type ReadLimits } from '../xml/stream';

export interface CallContext extends BackendContext {
  transport: Transport;
  /** Limits on the backend's reply (default: DEFAULT_READ_LIMITS). */
  xmlLimits?: ReadLimits;
  /** Set by the call: milliseconds spent waiting for the backend. */
  backendMs?: number;
}

/** At most this many violations are listed in one problem; the detail gives the total. */
export const MAX_LISTED_VIOLATIONS = 100;

function counted<T>(what: string, violations: T[]): { detail: string; errors: T[] } {
  const n = violations.length;
  const shown = n > MAX_LISTED_VIOLATIONS ? `, the first ${MAX_LISTED_VIOLATIONS} listed` : '';
  return { detail: `${what} (${n} violation${n === 1 ? '' : 's'}${shown})`, errors: violations.slice(0, MAX_LISTED_VIOLATIONS) };
}

export function validateInput(op: CompiledOperation, input: unknown): void {
  const violations = op.validateInput(input);
  if (violations) {
    const { detail, errors } = counted(`the body breaks the input schema of ${op.name}`, violations);
    throw new BridgeError('VALIDATION_FAILED', detail, { errors });
  }
}

/** Finds the pointer of the first string that equals `value` (for errors found while writing XML). */
function pointerOf(data: unknown, value: string, path = ''): string | undefined {
  if (data === value) return path;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const p = pointerOf(data[i], value, `${path}/${i}`);
      if (p !== undefined) return p;
    }
  } else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      const p = pointerOf(v, value, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/**
 * The request's SOAP header blocks: those of the mapping (filled from this request) and the
 * WS-Security UsernameToken (fresh nonce and time per call); undefined when there are none.
 */
export function buildHeaders(op: CompiledOperation, parts: RequestParts): string | undefined {
  const { headers, security } = op.policy;
  if (headers.length === 0 && !security) return undefined;
  let xml = '';
  for (const h of headers) xml += h.build(parts);
  if (security) xml += usernameTokenHeader(security, op.soapVersion);
  return xml;
}

export function encodeRequest(op: CompiledOperation, input: unknown, header?: string): string {
  try {
    return op.encodeRequest(input, header);
  } catch (e) {
    if (!(e instanceof UnwritableCharError)) throw e;
    const pointer = pointerOf(input, e.value) ?? '';
    throw new BridgeError('VALIDATION_FAILED', 'the body holds a character XML cannot carry', {
      errors: [{ pointer, detail: 'contains a character that XML 1.0 cannot represent (a control character or a lone surrogate)' }],
    });
  }
}

export async function callBackend(op: CompiledOperation, envelope: string, ctx: CallContext): Promise<HttpReply> {
  if (!op.endpoint) throw new BridgeError('BACKEND_NOT_CONFIGURED', `operation ${op.name} has no SOAP endpoint: set soapBackend in mapping.yaml`);
  const policy = callPolicy(op, ctx, soapReplyFailed);
  const headers = { ...requestHeaders(op.soapVersion, op.soapAction), 'x-request-id': ctx.requestId };
  const rec = ctx.recorder;
  rec?.noteBackendRequest(op.endpoint, 'POST', headers, envelope);
  const started = performance.now();
  try {
    const reply = await ctx.transport.post(op.endpoint, { headers, body: envelope, ...policy });
    rec?.noteBackendResponse(reply.status, reply.contentType, reply.body, performance.now() - started);
    return reply;
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    throw transportFailure(e, op, 'the backend', policy.timeoutMs);
  } finally {
    ctx.backendMs = performance.now() - started;
  }
}

function invalid(op: CompiledOperation, why: string, errors?: Violation[]): BridgeError {
  return new BridgeError('BACKEND_INVALID_REPLY', `the backend's reply to ${op.name} ${why}`, errors ? { errors } : {});
}

/** Bytes -> text; undefined for the empty reply of a one-way operation. */
export function replyText(op: CompiledOperation, reply: HttpReply): string | undefined {
  const ct = (reply.contentType ?? '').toLowerCase();
  if (reply.body.length === 0) {
    if (reply.status >= 200 && reply.status < 300 && !op.model.output) return undefined;
    throw invalid(op, `is empty (HTTP ${reply.status})`);
  }
  if (!/xml/.test(ct)) throw invalid(op, `is not XML (HTTP ${reply.status}, content-type ${reply.contentType ?? 'missing'})`);
  try {
    return decodeXml(reply.body, charsetOf(reply.contentType));
  } catch (e) {
    if (e instanceof CharsetError) throw invalid(op, `cannot be decoded: ${e.message}`);
    throw e;
  }
}

export type ReplyContent = { fault: FaultInfo } | { value: unknown; errors: Violation[] };

/**
 * Text -> the Fault or the decoded output, in one pass of the tokenizer: the envelope's frame,
 * then the Body content through the operation's compiled decoder, then the rest of the document.
 */
export function decodeEnvelope(op: CompiledOperation, src: string, status: number, limits?: ReadLimits): ReplyContent {
  try {
    const s = new XmlStream(src, limits);
    const { version } = openEnvelope(s);
    if (version !== op.soapVersion) throw invalid(op, `is a SOAP ${version} envelope, but the request was SOAP ${op.soapVersion} (HTTP ${status})`);
    const fault = takeFault(s, version);
    if (fault) {
      closeEnvelope(s, version);
      const { info, detail } = readFault(fault, version);
      if (detail && detail.children.length > 0) info.detail = op.decodeFaultDetail(detail, src);
      return { fault: info };
    }
    const decoded = op.decodeReply(s);
    closeEnvelope(s, version);
    return decoded;
  } catch (e) {
    if (e instanceof XmlError) {
      const { line, col } = lineCol(src, e.offset);
      const why = e.code === 'XML_DTD' ? 'contains a DTD, which is refused' : e.code === 'XML_LIMIT' ? `is refused: ${e.message}` : `is not well-formed XML: ${e.message}`;
      throw invalid(op, `${why} (line ${line}, column ${col}; HTTP ${status})`);
    }
    if (e instanceof EnvelopeError) throw invalid(op, `is not a SOAP envelope: ${e.message} (HTTP ${status})`);
    throw e;
  }
}

/** A Fault, a non-2xx status without one, or an output that breaks the schema, all as BridgeErrors. */
export function checkOutput(op: CompiledOperation, content: ReplyContent, status: number): unknown {
  if ('fault' in content) {
    const problem = matchFault(op.policy.faultRules, content.fault);
    throw new BridgeError('BACKEND_FAULT', `the backend answered ${op.name} with a SOAP Fault: ${content.fault.code}${problem ? ` (${content.fault.string})` : ''}`, { fault: content.fault, problem });
  }
  if (status < 200 || status >= 300) throw invalid(op, `has HTTP status ${status} without a SOAP Fault`);
  const violations = mergeViolations(content.errors, op.validateOutput(content.value));
  if (violations.length) {
    const { detail, errors } = counted('breaks the output schema', violations);
    throw invalid(op, detail, errors);
  }
  return content.value;
}

/** Strict mode: libxml2's verdict on the reply envelope's Body (after the fast path passed it). */
export function checkOutputStrict(op: CompiledOperation, text: string): void {
  const violations = op.strictOutput?.(text);
  if (violations?.length) {
    const { detail, errors } = counted('breaks the output schema (strict validation)', violations);
    throw invalid(op, detail, errors);
  }
}

/** Strict mode: libxml2's verdict on the request envelope's Body, before it is sent. */
export function checkInputStrict(op: CompiledOperation, envelope: string, trace?: (v: Violation[]) => ProblemItem[]): void {
  const violations = op.strictInput?.(envelope);
  if (violations?.length) {
    const items: (Violation | ProblemItem)[] = trace ? trace(violations) : violations;
    const { detail, errors } = counted(`the request breaks the input schema of ${op.name} (strict validation)`, items);
    throw new BridgeError('VALIDATION_FAILED', detail, { errors });
  }
}

/** The whole direction: JSON input in, JSON output out (undefined for a one-way operation). */
export async function restToSoap(op: CompiledOperation, input: unknown, ctx: CallContext, header?: string): Promise<unknown> {
  validateInput(op, input);
  return sendValid(op, input, ctx, header);
}

/** Everything after validation: envelope (checked by libxml2 in strict mode), call, reply. */
async function sendValid(op: CompiledOperation, input: unknown, ctx: CallContext, header: string | undefined, trace?: (v: Violation[]) => ProblemItem[]): Promise<unknown> {
  const envelope = encodeRequest(op, input, header);
  checkInputStrict(op, envelope, trace);
  if (ctx.dryRun) {
    if (!op.endpoint) throw new BridgeError('BACKEND_NOT_CONFIGURED', `operation ${op.name} has no SOAP endpoint: set soapBackend in mapping.yaml`);
    const headers = requestHeaders(op.soapVersion, op.soapAction);
    ctx.dryRun.plan = { url: op.endpoint, method: 'POST', headers, body: envelope, input };
    ctx.recorder?.noteBackendRequest(op.endpoint, 'POST', headers, envelope);
    return undefined;
  }
  const reply = await callBackend(op, envelope, ctx);
  const text = replyText(op, reply);
  if (text === undefined) return undefined;
  const content = decodeEnvelope(op, text, reply.status, ctx.xmlLimits);
  const output = checkOutput(op, content, reply.status);
  checkOutputStrict(op, text);
  return op.model.output ? output : undefined;
}

/** Violations of the SOAP input traced back to the body field or request parameter they came from. */
function traced(route: ApiRoute, violations: Violation[]): ProblemItem[] {
  return violations.map((v) => {
    const o = route.request.origin(v.pointer);
    return 'pointer' in o ? { pointer: o.pointer, detail: v.detail } : { in: o.in, parameter: o.parameter, detail: v.detail };
  });
}

/**
 * A route of the REST facade: the request shaped into the SOAP input by the route's mapping
 * (identity for the default route), the call, and the output shaped into the answer.
 */
export async function callRoute(route: ApiRoute, body: unknown, parts: RequestParts, ctx: CallContext): Promise<unknown> {
  const { op } = route;
  if (route.request.identity) {
    const output = await restToSoap(op, body, ctx, buildHeaders(op, parts));
    return output === undefined ? undefined : route.response.apply(output);
  }
  const input = route.request.apply(body, parts);
  const violations = op.validateInput(input);
  if (violations) {
    const { detail, errors } = counted(`the request does not fit the input schema of ${op.name}`, traced(route, violations));
    throw new BridgeError('VALIDATION_FAILED', detail, { errors });
  }
  const output = await sendValid(op, input, ctx, buildHeaders(op, parts), (v) => traced(route, v));
  return output === undefined ? undefined : route.response.apply(output);
}
