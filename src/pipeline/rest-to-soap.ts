/**
 * The REST -> SOAP direction, one short stage per step:
 * validate JSON -> encode envelope -> call backend -> read envelope -> fault? -> decode -> validate.
 * Every failure leaves as a BridgeError from the catalogue.
 */
import type { CompiledOperation } from '../compile';
import type { Violation } from '../compile/codec';
import { BridgeError } from '../errors/catalogue';
import { faultElement, parseEnvelope, readFault, requestHeaders, EnvelopeError, type ParsedEnvelope } from '../soap/envelope';
import { Transport, TransportError, type HttpReply } from '../transport/http';
import { CharsetError, charsetOf, decodeXml } from '../xml/charset';
import { UnwritableCharError } from '../xml/escape';
import { lineCol, readXml, XmlError } from '../xml/reader';

export interface CallContext {
  requestId: string;
  transport: Transport;
  defaultTimeoutMs: number;
  maxBodyBytes: number;
  /** Set by the call: milliseconds spent waiting for the backend. */
  backendMs?: number;
}

/** At most this many violations are listed in one problem; the detail gives the total. */
export const MAX_LISTED_VIOLATIONS = 100;

function counted(what: string, violations: Violation[]): { detail: string; errors: Violation[] } {
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

export function encodeRequest(op: CompiledOperation, input: unknown): string {
  try {
    return op.encodeRequest(input);
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
  const timeoutMs = op.timeoutMs ?? ctx.defaultTimeoutMs;
  const started = performance.now();
  try {
    return await ctx.transport.post(op.endpoint, {
      headers: { ...requestHeaders(op.soapVersion, op.soapAction), 'x-request-id': ctx.requestId },
      body: envelope,
      timeoutMs,
      maxBytes: ctx.maxBodyBytes,
    });
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    if (e.code === 'TIMEOUT') throw new BridgeError('BACKEND_TIMEOUT', `the backend did not answer ${op.name} within ${timeoutMs} ms`);
    if (e.code === 'TOO_LARGE') throw new BridgeError('BACKEND_INVALID_REPLY', `the backend's reply to ${op.name} is too large: ${e.message}`);
    throw new BridgeError('BACKEND_UNREACHABLE', `the backend of ${op.name} cannot be reached: ${e.message}`);
  } finally {
    ctx.backendMs = performance.now() - started;
  }
}

function invalid(op: CompiledOperation, why: string, errors?: Violation[]): BridgeError {
  return new BridgeError('BACKEND_INVALID_REPLY', `the backend's reply to ${op.name} ${why}`, errors ? { errors } : {});
}

/** Bytes -> text -> element tree -> SOAP envelope of the expected version. */
export function readReply(op: CompiledOperation, reply: HttpReply): { env: ParsedEnvelope; src: string } | undefined {
  const ct = (reply.contentType ?? '').toLowerCase();
  if (reply.body.length === 0) {
    if (reply.status >= 200 && reply.status < 300 && !op.model.output) return undefined;
    throw invalid(op, `is empty (HTTP ${reply.status})`);
  }
  if (!/xml/.test(ct)) throw invalid(op, `is not XML (HTTP ${reply.status}, content-type ${reply.contentType ?? 'missing'})`);
  let src: string;
  try {
    src = decodeXml(reply.body, charsetOf(reply.contentType));
  } catch (e) {
    if (e instanceof CharsetError) throw invalid(op, `cannot be decoded: ${e.message}`);
    throw e;
  }
  let env: ParsedEnvelope;
  try {
    env = parseEnvelope(readXml(src));
  } catch (e) {
    if (e instanceof XmlError) {
      const { line, col } = lineCol(src, e.offset);
      const why = e.code === 'XML_DTD' ? 'contains a DTD, which is refused' : `is not well-formed XML: ${e.message}`;
      throw invalid(op, `${why} (line ${line}, column ${col}; HTTP ${reply.status})`);
    }
    if (e instanceof EnvelopeError) throw invalid(op, `is not a SOAP envelope: ${e.message} (HTTP ${reply.status})`);
    throw e;
  }
  if (env.version !== op.soapVersion) {
    throw invalid(op, `is a SOAP ${env.version} envelope, but the request was SOAP ${op.soapVersion} (HTTP ${reply.status})`);
  }
  return { env, src };
}

export function raiseFault(op: CompiledOperation, env: ParsedEnvelope, src: string): void {
  const fault = faultElement(env);
  if (!fault) return;
  const { info, detail } = readFault(fault, env.version);
  if (detail && detail.children.length > 0) info.detail = op.decodeFaultDetail(detail, src);
  throw new BridgeError('BACKEND_FAULT', `the backend answered ${op.name} with a SOAP Fault: ${info.code}`, { fault: info });
}

export function decodeOutput(op: CompiledOperation, env: ParsedEnvelope, src: string, status: number): unknown {
  if (status < 200 || status >= 300) throw invalid(op, `has HTTP status ${status} without a SOAP Fault`);
  const decoded = op.decodeReply(env.body, src);
  const violations = decoded.errors.length ? decoded.errors : op.validateOutput(decoded.value);
  if (violations) {
    const { detail, errors } = counted('breaks the output schema', violations);
    throw invalid(op, detail, errors);
  }
  return decoded.value;
}

/** The whole direction: JSON input in, JSON output out (undefined for a one-way operation). */
export async function restToSoap(op: CompiledOperation, input: unknown, ctx: CallContext): Promise<unknown> {
  validateInput(op, input);
  const envelope = encodeRequest(op, input);
  const reply = await callBackend(op, envelope, ctx);
  const read = readReply(op, reply);
  if (!read) return undefined;
  raiseFault(op, read.env, read.src);
  if (!op.model.output) return undefined;
  return decodeOutput(op, read.env, read.src, reply.status);
}
