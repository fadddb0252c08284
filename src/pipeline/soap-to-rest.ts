/**
 * The SOAP -> REST direction, the mirror of rest-to-soap.ts over the same compiled operations:
 * read envelope -> find operation -> decode -> validate -> call the JSON service -> validate its
 * answer -> encode the response envelope. Every failure leaves as a BridgeError; the HTTP layer
 * writes it as a SOAP Fault in the caller's version.
 */
import { defaultNonceCache, type NonceCache } from '../auth/wss/nonce-cache';
import { rememberNonce, type SharedNonces } from '../auth/wss/nonce-store';
import { isOurSecurityHeader, refuseReplay, type Authenticated } from '../auth/wss/verify';
import type { Bundle, CompiledOperation } from '../compile';
import type { Violation } from '../compile/codec';
import { BridgeError } from '../errors/catalogue';
import type { SoapVersion } from '../model/operation';
import type { HttpMethod } from '../model/route';
import { closeEnvelope, EnvelopeError, openEnvelope, SOAP11_ENV, SOAP12_ENV, versionOfNs } from '../soap/envelope';
import { soapContentType } from '../soap/fault';
import { Transport, TransportError, type HttpReply } from '../transport/http';
import { callPolicy, jsonReplyFailed, transportFailure, type BackendContext, type DryRunPlan } from './backend';
import { CharsetError, charsetOf, decodeXml } from '../xml/charset';
import { UnwritableCharError } from '../xml/escape';
import { attrOf, lineCol, type XElem } from '../xml/reader';
import { isBlank, START, TEXT, XmlError, XmlStream, type ReadLimits } from '../xml/stream';
import { DEFAULT_JSON_MAX_DEPTH, jsonDepthMessage, jsonTooDeep } from '../json/depth';

export interface SoapRequest {
  contentType: string | undefined;
  /** The SOAPAction header (SOAP 1.1), as sent. */
  soapAction: string | undefined;
  body: Buffer;
}

export interface SoapCallContext extends BackendContext {
  transport: Transport;
  /** Limits on the request envelope (default: DEFAULT_READ_LIMITS). */
  xmlLimits?: ReadLimits;
  /** Deepest nesting accepted in the JSON service's answer (default: DEFAULT_JSON_MAX_DEPTH). */
  jsonMaxDepth?: number;
  /** Set as soon as known: the SOAP version faults are written in, the operation, backend time. */
  version?: SoapVersion;
  operation?: string;
  backendMs?: number;
  /** Runs once the operation is known and the input is valid, before the JSON service is called (rate limiting); throws to refuse. */
  admit?: (op: CompiledOperation) => Promise<void>;
  /** The replay cache of inbound UsernameTokens (`soapAuth`); default: one per process. */
  nonces?: NonceCache;
  /** The replay cache shared through Redis (RATE_LIMIT_STORE=redis), consulted after `nonces`. */
  sharedNonces?: SharedNonces;
  /** Set when the caller proved who it is (the user name of its UsernameToken). */
  principal?: string;
  /** Called as soon as the caller is authenticated, before its input is read (access line, per-client limits). */
  onAuthenticated?: (principal: string) => void;
  /** Runs just before the credentials of an operation with `soapAuth` are checked; throws to refuse (a blocked address, authFailures). */
  beforeAuth?: () => void;
}

export interface SoapReply {
  status: number;
  contentType: string;
  body: string;
}

/** The SOAP version a Content-Type announces: text/xml is 1.1, application/soap+xml is 1.2. */
export function versionOfContentType(contentType: string | undefined): SoapVersion | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type === 'text/xml' ? '1.1' : type === 'application/soap+xml' ? '1.2' : undefined;
}

function actionOf(req: SoapRequest, version: SoapVersion): string | undefined {
  if (version === '1.1') return req.soapAction === undefined ? undefined : req.soapAction.trim().replace(/^"(.*)"$/, '$1');
  return /;\s*action\s*=\s*"?([^";]*)"?/i.exec(req.contentType ?? '')?.[1];
}

/** Bytes -> the envelope's frame, read up to the start of the Body. */
function openRequest(bundle: Bundle, req: SoapRequest, ctx: Pick<SoapCallContext, 'version' | 'xmlLimits'>): { s: XmlStream; version: SoapVersion; header?: XElem; src: string } {
  const announced = versionOfContentType(req.contentType);
  ctx.version = announced ?? '1.1';
  if (!announced) throw new BridgeError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${req.contentType ?? '(none)'} is not SOAP: send text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)`);
  if (req.body.length === 0) throw new BridgeError('MALFORMED_XML', 'the request body is empty; send a SOAP envelope');
  let src: string;
  try {
    src = decodeXml(req.body, charsetOf(req.contentType));
  } catch (e) {
    if (e instanceof CharsetError) throw new BridgeError('MALFORMED_XML', `the request cannot be decoded: ${e.message}`);
    throw e;
  }
  const s = new XmlStream(src, ctx.xmlLimits);
  let frame: { version: SoapVersion; header?: XElem };
  try {
    frame = openEnvelope(s);
  } catch (e) {
    throw envelopeFailure(e, src);
  }
  ctx.version = frame.version;
  const supported = bundle.soapOperations;
  if (!supported.has(frame.version)) {
    throw new BridgeError('SOAP_VERSION_MISMATCH', `service "${bundle.name}" speaks SOAP ${[...supported.keys()].join(' and ')}, not SOAP ${frame.version}`);
  }
  if (frame.version !== announced) {
    throw new BridgeError('NOT_SOAP', `a SOAP ${frame.version} envelope must come as ${soapContentType(frame.version).split(';')[0]}, not ${req.contentType}`);
  }
  return { s, ...frame, src };
}

/** A parse or frame problem as the error the caller gets. */
function envelopeFailure(e: unknown, src: string): unknown {
  if (e instanceof XmlError) {
    const { line, col } = lineCol(src, e.offset);
    const why = e.code === 'XML_DTD' ? 'holds a DTD, which is refused' : e.code === 'XML_LIMIT' ? `is refused: ${e.message}` : `is not well-formed XML: ${e.message}`;
    return new BridgeError('MALFORMED_XML', `the request ${why} (line ${line}, column ${col})`);
  }
  if (e instanceof EnvelopeError) return new BridgeError(e.kind === 'version' ? 'SOAP_VERSION_MISMATCH' : 'NOT_SOAP', `the request is not a SOAP envelope: ${e.message}`);
  return e;
}

const NEXT_ROLES = new Set(['http://schemas.xmlsoap.org/soap/actor/next', `${SOAP12_ENV.replace(/\/$/, '')}/role/next`, `${SOAP12_ENV.replace(/\/$/, '')}/role/ultimateReceiver`]);

/**
 * Header blocks addressed to this node with mustUnderstand set: the bridge understands none,
 * except the wsse:Security block when the operation verifies it (`understandsSecurity`).
 */
export function checkHeaders(header: XElem | undefined, version: SoapVersion, understandsSecurity = false): void {
  if (!header) return;
  const env = version === '1.1' ? SOAP11_ENV : SOAP12_ENV;
  const missed: { ns: string; local: string }[] = [];
  for (const block of header.children) {
    if (understandsSecurity && isOurSecurityHeader(block, version)) continue;
    const mu = attrOf(block, env, 'mustUnderstand')?.trim();
    if (!(mu === '1' || mu === 'true')) continue;
    const target = attrOf(block, env, version === '1.1' ? 'actor' : 'role')?.trim();
    if (target !== undefined && target !== '' && !NEXT_ROLES.has(target)) continue;
    missed.push({ ns: block.ns, local: block.local });
  }
  if (missed.length) {
    const names = missed.map((q) => (q.ns ? `{${q.ns}}${q.local}` : q.local)).join(', ');
    throw new BridgeError('SOAP_MUST_UNDERSTAND', `header block${missed.length > 1 ? 's' : ''} ${names} must be understood, and this bridge does not process ${missed.length > 1 ? 'them' : 'it'}`, { notUnderstood: missed });
  }
}

/** The operation the Body's first element names; the action decides only where that is ambiguous. */
function findOperation(bundle: Bundle, s: XmlStream, version: SoapVersion, action: string | undefined): CompiledOperation {
  let t = s.next();
  while (t === TEXT) {
    if (!isBlank(s.text)) throw new BridgeError('NOT_SOAP', 'the SOAP Body holds text');
    t = s.next();
  }
  const key = t === START ? (s.ns ? `{${s.ns}}${s.local}` : s.local) : '';
  if (t === START && s.local === 'Fault' && versionOfNs(s.ns)) throw new BridgeError('NOT_SOAP', 'the request Body holds a Fault, not an operation');
  s.pushBack(t);
  const candidates = bundle.soapOperations.get(version)?.get(key) ?? [];
  if (candidates.length === 0) throw new BridgeError('NOT_FOUND', `service "${bundle.name}" has no operation whose request ${key ? `starts with ${key}` : 'has an empty Body'}`);
  if (candidates.length === 1) return candidates[0];
  const matching = candidates.filter((op) => action !== undefined && op.soapAction === action);
  if (matching.length === 1) return matching[0];
  throw new BridgeError('NOT_FOUND', `the request matches operations ${candidates.map((c) => c.name).join(', ')}; the ${version === '1.1' ? 'SOAPAction header' : 'action parameter'} ${action === undefined ? 'is missing' : `"${action}" matches none of them`}`);
}

/**
 * Problems found while decoding XML, then those the JSON Schema finds in what was decoded,
 * except where decoding already failed (a value it could not read is missing or null there).
 */
export function mergeViolations(decoding: Violation[], schema: Violation[] | undefined): Violation[] {
  if (!schema) return decoding;
  if (decoding.length === 0) return schema;
  const failed = new Set(decoding.map((v) => v.pointer));
  return [...decoding, ...schema.filter((v) => !failed.has(v.pointer))];
}

function refused(what: string, violations: Violation[], code: 'VALIDATION_FAILED' | 'BACKEND_INVALID_REPLY'): BridgeError {
  const n = violations.length;
  const shown = violations.slice(0, 100);
  return new BridgeError(code, `${what} (${n} violation${n === 1 ? '' : 's'}${n > 100 ? ', the first 100 listed' : ''})`, { errors: shown });
}

/** Reads the JSON service's answer: 2xx JSON is the output, 4xx a Client fault, the rest a Server fault (unless a status rule says otherwise). */
function backendOutput(op: CompiledOperation, reply: HttpReply, maxDepth: number): unknown {
  const type = (reply.contentType ?? '').split(';')[0].trim().toLowerCase();
  const isJson = /^application\/(?:[\w.+-]+\+)?json$/.test(type);
  let json: unknown;
  let tooDeep = '';
  if (reply.body.length > 0 && isJson) {
    const text = reply.body.toString('utf8');
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const deep = json === undefined ? -1 : jsonTooDeep(text, maxDepth);
    if (deep >= 0) {
      json = undefined;
      tooDeep = jsonDepthMessage(maxDepth, deep);
    }
  }
  if (reply.status >= 200 && reply.status < 300) {
    if (reply.status === 204 || reply.body.length === 0) return {};
    if (!isJson) throw new BridgeError('BACKEND_INVALID_REPLY', `the JSON service's answer to ${op.name} is not JSON (content-type ${reply.contentType ?? 'missing'})`);
    if (tooDeep) throw new BridgeError('BACKEND_INVALID_REPLY', `the JSON service's answer to ${op.name} is refused: ${tooDeep}`);
    if (json === undefined) throw new BridgeError('BACKEND_INVALID_REPLY', `the JSON service's answer to ${op.name} is not valid JSON`);
    return json;
  }
  const problem = json && typeof json === 'object' ? (json as { title?: unknown; detail?: unknown }) : {};
  const backend = {
    status: reply.status,
    title: typeof problem.title === 'string' ? problem.title : undefined,
    detail: typeof problem.detail === 'string' ? problem.detail : undefined,
  };
  const said = [backend.title, backend.detail].filter(Boolean).join(': ');
  const rule = op.policy.soapFaultRules.find((r) => r.matches(reply.status));
  const soapFault = rule ? { code: rule.code, subcode: rule.subcode } : undefined;
  const client = rule ? rule.code === 'Client' : reply.status >= 400 && reply.status < 500;
  if (client) {
    throw new BridgeError('BACKEND_REFUSED', said || `the JSON service refused ${op.name} (HTTP ${reply.status})`, { backend, soapFault });
  }
  throw new BridgeError('BACKEND_UNREACHABLE', `the JSON service failed on ${op.name} (HTTP ${reply.status})${said ? `: ${said}` : ''}`, { backend, soapFault });
}

/** The call to the JSON service an input makes: URL, method, headers, body. */
function planJsonCall(op: CompiledOperation, input: unknown, requestId: string): DryRunPlan {
  const call = op.policy.restCall;
  if (!call || !op.restBase) throw new BridgeError('BACKEND_NOT_CONFIGURED', `operation ${op.name} has no JSON service: set restBackend in mapping.yaml`);
  const { url, body } = call.build(call.request.apply(input));
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...call.headers, 'x-request-id': requestId };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { url, method: call.method, headers, body };
}

async function callJsonService(op: CompiledOperation, input: unknown, ctx: SoapCallContext): Promise<HttpReply> {
  const { url, method, headers, body } = planJsonCall(op, input, ctx.requestId);
  const policy = callPolicy(op, ctx, jsonReplyFailed);
  const rec = ctx.recorder;
  rec?.noteBackendRequest(url, method, headers, body);
  const started = performance.now();
  try {
    const reply = await ctx.transport.post(url, { method: method as HttpMethod, headers, body, ...policy });
    rec?.noteBackendResponse(reply.status, reply.contentType, reply.body, performance.now() - started);
    return reply;
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    throw transportFailure(e, op, 'the JSON service', policy.timeoutMs);
  } finally {
    ctx.backendMs = performance.now() - started;
  }
}

/**
 * The first half of the SOAP facade, shared with the mock (src/mock): the envelope read, its
 * header blocks checked, the operation found, the input decoded and validated. Every refusal
 * is a BridgeError; `ctx.version` and `ctx.operation` are set as soon as they are known.
 */
export function readSoapRequest(bundle: Bundle, req: SoapRequest, ctx: Pick<SoapCallContext, 'version' | 'operation' | 'xmlLimits' | 'nonces' | 'principal' | 'onAuthenticated' | 'beforeAuth'>): { op: CompiledOperation; version: SoapVersion; input: unknown } {
  const opened = openAuthenticated(bundle, req, ctx);
  if (opened.token) {
    const nonces = ctx.nonces ?? defaultNonceCache();
    const n = opened.token.nonce;
    const now = Date.now();
    if (n) refuseReplay(opened.token, nonces.remember(n.key, n.until, now), nonces, now);
  }
  return readAuthenticated(opened, ctx);
}

/** The request up to its caller's authentication (`soapAuth`), its nonce not yet remembered. */
interface OpenedRequest {
  s: XmlStream;
  version: SoapVersion;
  header?: XElem;
  src: string;
  op: CompiledOperation;
  token?: Authenticated;
}

/** The first part of readSoapRequest: the envelope opened, the operation found, the caller's token checked (all but its nonce). */
function openAuthenticated(bundle: Bundle, req: SoapRequest, ctx: Pick<SoapCallContext, 'version' | 'operation' | 'xmlLimits' | 'beforeAuth'>): OpenedRequest {
  const { s, version, header, src } = openRequest(bundle, req, ctx);
  let op: CompiledOperation;
  try {
    // Only looks at the Body's first element (names the WSDL publishes), decodes nothing.
    op = findOperation(bundle, s, version, actionOf(req, version));
  } catch (e) {
    // No operation: a service that verifies wsse:Security anywhere understands it here too.
    const verifies = [...(bundle.soapOperations.get(version)?.values() ?? [])].some((ops) => ops.some((o) => o.policy.soapAuth !== undefined));
    checkHeaders(header, version, verifies);
    throw envelopeFailure(e, src);
  }
  ctx.operation = op.name;
  // `soapAuth`: the caller is authenticated before anything about its input is checked or said.
  if (op.policy.soapAuth) ctx.beforeAuth?.();
  const token = op.policy.soapAuth?.authenticate(header, version);
  return { s, version, header, src, op, token };
}

/** The rest of readSoapRequest, once the token's nonce is remembered: the caller named, the headers checked, the input read. */
function readAuthenticated(opened: OpenedRequest, ctx: Pick<SoapCallContext, 'principal' | 'onAuthenticated'>): { op: CompiledOperation; version: SoapVersion; input: unknown } {
  const { s, version, header, src, op, token } = opened;
  if (token) {
    ctx.principal = token.principal;
    ctx.onAuthenticated?.(ctx.principal);
  }
  checkHeaders(header, version, token !== undefined);
  let decoded: { value: unknown; errors: Violation[] };
  try {
    decoded = op.decodeRequest(s);
    closeEnvelope(s, version);
  } catch (e) {
    throw envelopeFailure(e, src);
  }
  const violations = mergeViolations(decoded.errors, op.validateInput(decoded.value));
  if (violations.length) throw refused(`the request breaks the input schema of ${op.name}`, violations, 'VALIDATION_FAILED');
  const strictIn = op.strictInput?.(src);
  if (strictIn?.length) throw refused(`the request breaks the input schema of ${op.name} (strict validation)`, strictIn, 'VALIDATION_FAILED');
  return { op, version, input: decoded.value };
}

/** The whole direction: a SOAP request in, the SOAP response (or a one-way acknowledgement) out. */
export async function soapToRest(bundle: Bundle, req: SoapRequest, ctx: SoapCallContext): Promise<SoapReply> {
  const opened = openAuthenticated(bundle, req, ctx);
  // The nonce of a verified token: in this process's cache, and in Redis when it is shared.
  if (opened.token) await rememberNonce(opened.token, ctx.nonces ?? defaultNonceCache(), ctx.sharedNonces);
  const { op, version, input } = readAuthenticated(opened, ctx);
  await ctx.admit?.(op);
  if (ctx.dryRun) {
    const plan = planJsonCall(op, input, ctx.requestId);
    ctx.dryRun.plan = plan;
    ctx.recorder?.noteBackendRequest(plan.url, plan.method, plan.headers, plan.body);
    return { status: 200, contentType: 'application/json', body: '' };
  }
  const answer = backendOutput(op, await callJsonService(op, input, ctx), ctx.jsonMaxDepth ?? DEFAULT_JSON_MAX_DEPTH);
  if (!op.model.output) return { status: 202, contentType: soapContentType(version), body: '' };
  const output = op.policy.restCall!.response.apply(answer);
  const wrong = op.validateOutput(output);
  if (wrong) throw refused(`the JSON service's answer to ${op.name} breaks the output schema`, wrong, 'BACKEND_INVALID_REPLY');
  let body: string;
  try {
    body = op.encodeResponse(output);
  } catch (e) {
    if (e instanceof UnwritableCharError) throw new BridgeError('BACKEND_INVALID_REPLY', `the JSON service's answer to ${op.name} holds a character XML cannot carry`);
    throw e;
  }
  const strictOut = op.strictOutput?.(body);
  if (strictOut?.length) throw refused(`the JSON service's answer to ${op.name} breaks the output schema (strict validation)`, strictOut, 'BACKEND_INVALID_REPLY');
  return { status: 200, contentType: soapContentType(version), body };
}

