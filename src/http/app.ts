/**
 * The HTTP surface. One request listener gives every request its id and its access line;
 * the REST facade (`/api/{service}/{operation}`, the hot path) is served by a plain handler
 * on node's request and response, everything else (health, and the routes later releases add)
 * by an Express app. Every failure leaves through one function that writes an RFC 9457 problem.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { adminGuard, adminRoutes } from '../admin/routes';
import type { ReloadAnswer } from '../admin/reload';
import type { Authenticator } from '../auth';
import { NonceCache } from '../auth/wss/nonce-cache';
import { sharedNoncesFor } from '../auth/wss/nonce-store';
import type { Bundle } from '../compile';
import { xmlLimitsOf, type Config } from '../config';
import { BridgeError, toProblem } from '../errors/catalogue';
import { redactValue } from '../log/redact';
import type { Logger } from '../log';
import { didYouMean } from '../mapping';
import { pathSegments } from '../mapping/routes';
import type { RequestParts } from '../mapping/transform';
import { callRoute, type CallContext } from '../pipeline/rest-to-soap';
import { soapToRest, versionOfContentType, type SoapCallContext } from '../pipeline/soap-to-rest';
import { faultReply } from '../soap/fault';
import type { Transport } from '../transport/http';
import { checkJsonContentType, parseJson, readBody } from './body';
import { docsRoutes } from './docs';
import type { Metrics } from './metrics';
import type { ServiceRegistry } from './registry';
import type { ReadLimits } from '../xml/stream';
import { admit } from '../ratelimit/http';
import type { RateLimits } from '../ratelimit/limits';
import { authFailed, blockedAddress, guardedAuthentication, isAuthFailure, type AuthFailureRule, type AuthGuardDeps } from '../ratelimit/auth-failures';
import type { CompiledOperation } from '../compile/operation';
import { consoleRoutes } from '../console/routes';
import { ExchangeStore, Recorder } from '../console/exchanges';
import { dryRunRequested, restDryRunAnswer, soapDryRunAnswer } from '../console/dry-run';
import type { ApiRoute } from '../mapping/compile';

export { ServiceRegistry } from './registry';

export interface AppState {
  ready: boolean;
}

export interface AppDeps {
  registry: ServiceRegistry;
  logger: Logger;
  config: Config;
  transport: Transport;
  state: AppState;
  /** Absent when metrics are turned off. */
  metrics?: Metrics;
  /** The rate-limit counters (mapping key rateLimit); absent: nothing is limited. */
  rateLimits?: RateLimits;
  /** POST /admin/reload: reloads every bundle (admin/reload.ts). */
  reload?: () => Promise<ReloadAnswer>;
  /** Environment for `${VAR}` in mapping files (the console compiles bundle folders as on disk); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Recent exchanges for the console (src/console); default: a store with the configuration's limits. */
  exchanges?: ExchangeStore;
}

/** The XML read limits of a configuration, worked out once per configuration. */
const limitsByConfig = new WeakMap<Config, ReadLimits>();
function xmlLimitsFor(config: Config): ReadLimits {
  let limits = limitsByConfig.get(config);
  if (!limits) limitsByConfig.set(config, (limits = xmlLimitsOf(config)));
  return limits;
}

/** The replay cache of inbound UsernameTokens, one per configuration (so it outlives reloads). */
const noncesByConfig = new WeakMap<Config, NonceCache>();
function noncesFor(config: Config): NonceCache {
  let cache = noncesByConfig.get(config);
  if (!cache) noncesByConfig.set(config, (cache = new NonceCache(config.soapAuthNonceCacheSize)));
  return cache;
}

/** Per-request facts for the access line. */
interface RequestFacts {
  requestId: string;
  started: number;
  path: string;
  service?: string;
  operation?: string;
  backendMs?: number;
  /** Who the caller proved to be (API key id, JWT subject, WS-Security user name), once authenticated. */
  principal?: string;
  /** The call's stages for the console's recent exchanges (only while recording). */
  exchange?: Recorder;
  /** A dry run (`?dryRun=1`, `X-Dry-Run: 1`): the backend was not called. */
  dryRun?: boolean;
}

const FACTS = Symbol('soap-bridge.facts');
type WithFacts = IncomingMessage & { [FACTS]?: RequestFacts };

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

function factsOf(req: IncomingMessage): RequestFacts {
  return (req as WithFacts)[FACTS]!;
}

/** Logs an error that is not a BridgeError (a bug) with its request id and turns it into INTERNAL, with no internals in it. */
function internalError(deps: AppDeps, f: RequestFacts, err: unknown): BridgeError {
  const e = err as { message?: string; stack?: string } | undefined;
  deps.logger.error('unhandled error', { requestId: f.requestId, error: e?.message ?? String(err), stack: e?.stack, service: f.service, operation: f.operation });
  return new BridgeError('INTERNAL', `an internal error occurred; quote request id ${f.requestId} when reporting it`);
}

/** Stores the request's exchange (console) once its answer is written, so it is there before the caller has read it. */
function keepExchange(deps: AppDeps, f: RequestFacts, status: number): void {
  const rec = f.exchange;
  if (!rec) return;
  f.exchange = undefined;
  // Called on the way to writing an answer: a failure here is logged, never in the caller's way.
  try {
    rec.service = f.service ?? '';
    // An operation name the caller made up (404) is not one: the store stays keyed by real ones.
    const op = f.operation;
    rec.operation = op !== undefined && (rec.facade === 'soap' || deps.registry.get(rec.service)?.operations.has(op)) ? op : null;
    rec.principal = f.principal;
    rec.backendMs = f.backendMs;
    deps.exchanges?.record(rec, status, performance.now() - f.started);
  } catch (e) {
    deps.logger.error('cannot keep the exchange', { requestId: f.requestId, error: (e as Error)?.message });
  }
}

/** Writes a problem (or, for anything that is not a BridgeError, logs it and writes a 500). */
function sendError(deps: AppDeps, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const f = factsOf(req);
  let problem: BridgeError;
  if (err instanceof BridgeError) {
    problem = err;
    noteFailure(deps, f, err);
  } else {
    problem = internalError(deps, f, err);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Secrets never leave in an error body (log/redact.ts): an echoed credential, a WS-Security element in a snippet.
  const body = JSON.stringify(redactValue(toProblem(problem, f.requestId, req.url)));
  if (f.exchange) {
    f.exchange.noteError(problem.code, problem.detail, problem.extra.errors);
    f.exchange.noteAnswer(problem.status, 'application/problem+json', body);
  }
  const headers: Record<string, string | number> = { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...problem.extra.headers };
  if (problem.code === 'PAYLOAD_TOO_LARGE') headers.connection = 'close';
  res.writeHead(problem.status, headers);
  res.end(body);
  keepExchange(deps, f, problem.status);
}

/** `/api/{service}/…` -> the service name and the path segments after it, decoded; undefined for any other shape. */
function apiRoute(url: string): { service: string; segments: string[]; query: string } | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const slash = path.indexOf('/', 5);
  const rawService = slash < 0 ? path.slice(5) : path.slice(5, slash);
  if (!rawService) return undefined;
  const segments = pathSegments(slash < 0 ? '' : path.slice(slash));
  if (!segments) return undefined;
  try {
    return { service: decodeURIComponent(rawService), segments, query: q < 0 ? '' : url.slice(q + 1) };
  } catch {
    return undefined;
  }
}

/** `/soap/{service}` -> the service name, decoded, and the query; undefined for any other shape. */
function soapRoute(url: string): { service: string; query: string } | undefined {
  const q = url.indexOf('?');
  const parts = (q < 0 ? url : url.slice(0, q)).split('/');
  if (parts.length !== 3 || parts[1] !== 'soap' || !parts[2]) return undefined;
  try {
    return { service: decodeURIComponent(parts[2]), query: q < 0 ? '' : url.slice(q + 1) };
  } catch {
    return undefined;
  }
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The bridge's URL as callers reach it: scheme and host of the request (or of a trusted proxy's X-Forwarded-*); undefined without a usable host. */
export function requestOrigin(deps: Pick<AppDeps, 'config'>, req: IncomingMessage): string | undefined {
  const first = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h)?.split(',')[0].trim();
  let proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  let host = first(req.headers.host);
  if (deps.config.trustProxy) {
    const fp = first(req.headers['x-forwarded-proto'])?.toLowerCase();
    if (fp === 'http' || fp === 'https') proto = fp;
    host = first(req.headers['x-forwarded-host']) ?? host;
  }
  return host && HOST.test(host) ? `${proto}://${host}` : undefined;
}

/** The URL callers reach this service's SOAP facade at. */
function serviceUrl(deps: AppDeps, req: IncomingMessage, service: string): string {
  const origin = requestOrigin(deps, req);
  if (!origin) throw new BridgeError('NOT_FOUND', 'the request has no usable Host header, so the WSDL cannot say where the service is');
  return `${origin}/soap/${encodeURIComponent(service)}`;
}

/** `GET /soap/{service}?wsdl` (and `?wsdl=N`, `?xsd=N`): the published contract, with ETag. */
function handleContract(deps: AppDeps, req: IncomingMessage, res: ServerResponse, service: string, query: string): void {
  const f = factsOf(req);
  f.service = service;
  const bundle = deps.registry.get(service);
  if (!bundle) throw new BridgeError('NOT_FOUND', `no service named "${service}"`);
  if (!bundle.soapFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no SOAP facade (its mapping sets no restBackend)`);
  const key = query.toLowerCase() === 'wsdl' || query.toLowerCase() === 'wsdl=' ? 'wsdl' : /^(wsdl|xsd)=\d+$/i.test(query) ? query.toLowerCase() : undefined;
  if (!key) throw new BridgeError('NOT_FOUND', `ask for the contract with ?wsdl (imports: ?wsdl=N, ?xsd=N)`);
  const doc = bundle.contract.render(key, serviceUrl(deps, req, service));
  if (!doc) throw new BridgeError('NOT_FOUND', `service "${service}" publishes no document ?${key}`);
  const headers = { etag: doc.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === doc.etag || t.trim() === '*')) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(doc.body) });
  res.end(req.method === 'HEAD' ? undefined : doc.body);
}

/** `POST /soap/{service}`: a SOAP request in, a SOAP response or Fault out. */
/**
 * Whether the registry serves `service`, for decisions taken before the facade's try block: a
 * registry that throws (a bug) counts as no, and the lookup inside the try meets the same
 * failure and answers it as a Server fault.
 */
function serviceExists(deps: AppDeps, service: string): boolean {
  try {
    return deps.registry.get(service) !== undefined;
  } catch {
    return false;
  }
}

async function handleSoap(deps: AppDeps, req: IncomingMessage, res: ServerResponse, service: string, query: string): Promise<void> {
  const f = factsOf(req);
  f.service = service;
  // Only calls to services that exist are recorded (unknown names must not grow the store).
  const rec = deps.exchanges?.recording && serviceExists(deps, service) ? (f.exchange = new Recorder('soap', `POST ${f.path}`, f.requestId)) : undefined;
  const dry = dryRunRequested(req.headers, query ? new URLSearchParams(query) : undefined);
  if (dry) f.dryRun = true;
  const ctx: SoapCallContext = { ...soapCallContext(deps, f.requestId, rec, dry), version: versionOfContentType(req.headers['content-type']), onAuthenticated: (principal) => (f.principal = principal) };
  ctx.admit = (op) => rateLimit(deps, req, res, f, op);
  let reply: { status: number; contentType: string; body: string };
  let release: (() => void) | undefined;
  /** The service's authFailures budget, once the bundle is known. */
  let authRule: AuthFailureRule | undefined;
  try {
    const bundle = deps.registry.get(service);
    if (!bundle) throw new BridgeError('NOT_FOUND', `no service named "${service}"`);
    if (!bundle.soapFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no SOAP facade (its mapping sets no restBackend)`);
    // Strict mode: the bundle's libxml2 schema stays allocated until this request is done.
    release = bundle.strict?.retain();
    const soapAction = req.headers.soapaction;
    // authFailures: whether this address is blocked, looked up while the body is read.
    authRule = deps.rateLimits ? bundle.authFailures : undefined;
    const blocked = authRule ? blockedAddress(authGuard(deps, f), authRule, req) : undefined;
    const body = await readBody(req, deps.config.maxBodyBytes);
    const refusal = await blocked;
    if (refusal) {
      ctx.beforeAuth = () => {
        throw refusal;
      };
    }
    if (rec) rec.request = { contentType: req.headers['content-type'], body };
    reply = await soapToRest(bundle, { contentType: req.headers['content-type'], soapAction: Array.isArray(soapAction) ? soapAction[0] : soapAction, body }, ctx);
    if (ctx.dryRun?.plan) reply = { status: 200, contentType: 'application/json', body: soapDryRunAnswer(service, ctx.operation ?? '', ctx.dryRun.plan) };
  } catch (e) {
    release?.();
    f.operation = ctx.operation;
    f.backendMs = ctx.backendMs;
    // A bug is a Server (1.2: Receiver) fault in the caller's SOAP version, like every other
    // failure of this facade, not a problem+json a SOAP client cannot read.
    let err = e instanceof BridgeError ? e : internalError(deps, f, e);
    if (err === e) noteFailure(deps, f, err);
    const why = err.extra.authFailure;
    if (why) deps.logger.warn(`WS-Security refused: ${why.reason}`, { requestId: f.requestId, service: f.service, operation: ctx.operation, fault: why.fault, username: why.username });
    // authFailures: the refusal costs its address a unit (and, over the budget, is answered RATE_LIMITED).
    if (why && isAuthFailure(err) && authRule) err = await authFailed(authGuard(deps, f), authRule, req, err);
    reply = faultReply(err, ctx.version ?? '1.1', f.requestId);
    rec?.noteError(err.code, err.detail, err.extra.errors);
    if (err.code === 'PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
    for (const [k, v] of Object.entries(err.extra.headers ?? {})) res.setHeader(k, v);
  }
  release?.();
  f.operation = ctx.operation;
  f.backendMs = ctx.backendMs;
  rec?.noteAnswer(reply.status, reply.contentType, reply.body);
  if (reply.body === '') res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': 0 });
  else res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
  keepExchange(deps, f, reply.status);
}

/**
 * What a call to a backend needs from the configuration (a REST facade request's, or the
 * console's send): timeouts, limits, retries logged, the exchange recorder and dry run.
 */
function restCallContext(deps: AppDeps, requestId: string, recorder?: Recorder, dryRun = false): CallContext {
  if (recorder) recorder.dryRun = dryRun;
  return {
    requestId,
    recorder,
    dryRun: dryRun ? {} : undefined,
    transport: deps.transport,
    defaultTimeoutMs: deps.config.backendTimeoutMs,
    maxBodyBytes: deps.config.maxBodyBytes,
    retries: deps.config.backendRetries,
    onRetry: (r) => deps.logger.warn(`retrying ${r.operation} (attempt ${r.attempt + 1}) in ${r.delayMs} ms: ${r.reason}`, { requestId: r.requestId, operation: r.operation, attempt: r.attempt, reason: r.reason }),
    xmlLimits: xmlLimitsFor(deps.config),
  };
}

/** The context of a SOAP facade call (a request's, or the console's): limits, replay caches. */
function soapCallContext(deps: AppDeps, requestId: string, recorder?: Recorder, dryRun = false): SoapCallContext {
  return { ...restCallContext(deps, requestId, recorder, dryRun), jsonMaxDepth: deps.config.jsonMaxDepth, nonces: noncesFor(deps.config), sharedNonces: sharedNoncesFor(deps.rateLimits, deps.logger) };
}

/** Counts the request under its operation's rate limit (src/ratelimit); throws RATE_LIMITED over it. */
function rateLimit(deps: AppDeps, req: IncomingMessage, res: ServerResponse, f: RequestFacts, op: CompiledOperation): Promise<void> {
  if (!deps.rateLimits || !op.policy.rateLimit) return Promise.resolve();
  return admit(req, res, { limits: deps.rateLimits, rule: op.policy.rateLimit, service: f.service ?? '', operation: op.name, principal: f.principal, trustProxy: deps.config.trustProxy, onLimited: (s) => deps.metrics?.rateLimited(s) });
}

/** What the brute-force guard (src/ratelimit/auth-failures.ts) needs; only called with deps.rateLimits set. */
function authGuard(deps: AppDeps, f: RequestFacts): AuthGuardDeps {
  return { limits: deps.rateLimits!, logger: deps.logger, trustProxy: deps.config.trustProxy, metrics: deps.metrics, requestId: f.requestId };
}

/**
 * A REST caller's principal (mapping `auth`); with `authFailures`, a blocked address is refused
 * before its credentials are checked, and a 401 costs it a unit (src/ratelimit/auth-failures.ts).
 */
function authenticateRest(deps: AppDeps, req: IncomingMessage, f: RequestFacts, bundle: Bundle, auth: Authenticator): Promise<string> {
  const check = (): Promise<string> => auth.authenticate(req.headers);
  return bundle.authFailures && deps.rateLimits ? guardedAuthentication(authGuard(deps, f), bundle.authFailures, req, check) : check();
}

/** Metrics and a warning line for a failure the caller is told about. */
function noteFailure(deps: AppDeps, f: RequestFacts, err: BridgeError): void {
  if (deps.metrics && f.service !== undefined && f.operation !== undefined) {
    if (err.code === 'VALIDATION_FAILED') deps.metrics.validationFailed(f.service, f.operation, 'input');
    else if (err.code === 'BACKEND_INVALID_REPLY' && err.extra.errors) deps.metrics.validationFailed(f.service, f.operation, 'output');
  }
  if (err.status >= 500) deps.logger.warn(err.detail, { requestId: f.requestId, code: err.code, service: f.service, operation: f.operation });
}

/** The REST facade: a route of a service (the default `POST /{operation}` or one the mapping declares). */
async function handleApi(deps: AppDeps, req: IncomingMessage, res: ServerResponse, api: { service: string; segments: string[]; query: string }): Promise<void> {
  const f = factsOf(req);
  const { service } = api;
  f.service = service;
  const bundle = deps.registry.get(service);
  if (!bundle) {
    const hint = didYouMean(service, deps.registry.list().map((b) => b.name));
    throw new BridgeError('NOT_FOUND', `no service named "${service}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  if (deps.exchanges?.recording) f.exchange = new Recorder('rest', `${req.method} ${req.url}`, f.requestId);
  if (!bundle.restFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no REST facade (its mapping sets restBackend only)`);
  // Strict mode: the bundle's libxml2 schema stays allocated until this request is done.
  const release = bundle.strict?.retain();
  try {
    await handleRoute(deps, req, res, api, bundle);
  } finally {
    release?.();
  }
}

/** The rest of handleApi, on the bundle the request took from the registry. */
async function handleRoute(deps: AppDeps, req: IncomingMessage, res: ServerResponse, api: { service: string; segments: string[]; query: string }, bundle: Bundle): Promise<void> {
  const f = factsOf(req);
  const { service, segments } = api;
  const match = bundle.router.match(req.method ?? 'GET', segments);
  // A service behind authentication tells only authenticated callers which routes it lacks.
  if ((!match || 'allowed' in match) && bundle.restAuth) f.principal = await authenticateRest(deps, req, f, bundle, bundle.restAuth);
  if (!match) {
    if (segments.length === 1) {
      f.operation = segments[0];
      const hint = didYouMean(segments[0], [...bundle.operations.keys()]);
      throw new BridgeError('NOT_FOUND', `service "${service}" has no operation "${segments[0]}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    throw new BridgeError('NOT_FOUND', `service "${service}" has no route ${req.method} /${segments.join('/')}`);
  }
  if ('allowed' in match) {
    if (segments.length === 1) f.operation = segments[0];
    const allow = match.allowed.join(', ');
    throw new BridgeError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`, { headers: { allow } });
  }
  const route = match.found;
  f.operation = route.op.name;
  // Authentication (mapping `auth:`) before the body is read: a refused caller costs no parsing.
  if (route.auth) f.principal = await authenticateRest(deps, req, f, bundle, route.auth);
  // After authentication (f.principal), before the body is read or the backend called.
  await rateLimit(deps, req, res, f, route.op);
  let body: unknown;
  const rec = f.exchange;
  if (route.acceptsBody) {
    checkJsonContentType(req.headers['content-type']);
    const raw = await readBody(req, deps.config.maxBodyBytes);
    if (rec) rec.request = { contentType: req.headers['content-type'], body: raw };
    body = parseJson(raw, deps.config.jsonMaxDepth);
  } else if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    await readBody(req, deps.config.maxBodyBytes); // read and set aside: this route takes no body
  }
  // `dryRun` is the bridge's parameter, never the mapping's: taken out before the route reads the query.
  const query = new URLSearchParams(api.query);
  const dry = dryRunRequested(req.headers, query);
  if (dry) f.dryRun = true;
  const parts: RequestParts = { path: match.params, query, headers: req.headers };
  const ctx = restCallContext(deps, f.requestId, rec, dry);
  try {
    const reply = await runRoute(bundle.name, route, body, parts, ctx);
    rec?.noteAnswer(reply.status, reply.contentType, reply.body);
    f.backendMs = ctx.backendMs;
    if (reply.contentType === undefined) {
      res.writeHead(reply.status);
      res.end();
    } else {
      res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
    }
    keepExchange(deps, f, reply.status);
  } finally {
    f.backendMs = ctx.backendMs;
  }
}

/**
 * One call of a REST route on a parsed body: 200 with the JSON answer, 204 for a one-way
 * operation, or for a dry run (`ctx.dryRun`) 200 with what would have been sent. Failures throw.
 */
export async function runRoute(service: string, route: ApiRoute, body: unknown, parts: RequestParts, ctx: CallContext): Promise<{ status: number; contentType?: string; body: string }> {
  const output = await callRoute(route, body, parts, ctx);
  if (ctx.dryRun?.plan) return { status: 200, contentType: 'application/json', body: restDryRunAnswer(service, route.op.name, ctx.dryRun.plan) };
  if (output === undefined) return { status: 204, body: '' };
  return { status: 200, contentType: 'application/json', body: JSON.stringify(output) };
}

/** Routes other than the REST facade. */
export function createApp(deps: AppDeps): express.Express {
  const { registry, state } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const served = registry.served();
    const body = {
      services: served.map((s) => s.bundle.name),
      generation: registry.generation,
      bundles: served.map((s) => ({ service: s.bundle.name, generation: s.generation, hash: s.hash })),
      // Breakers that are not closed (a bridge with a backend down is still ready: it answers 503 for that backend).
      backends: deps.transport.status().filter((b) => b.circuit === 'open' || b.circuit === 'half-open').map((b) => ({ origin: b.origin, circuit: b.circuit })),
    };
    if (!state.ready) res.status(503).json({ status: 'not ready', ...body });
    else res.json({ status: 'ready', ...body });
  });

  // Admin routes (admin/): each behind its guard (ADMIN_TOKEN, ADMIN_ALLOW, ADMIN_ROUTES).
  app.use('/metrics', adminGuard(deps, 'metrics'));
  app.use('/docs', adminGuard(deps, 'docs'));
  app.use('/openapi.json', adminGuard(deps, 'openapi'));
  app.use(adminRoutes(deps));
  // The web console and its JSON API (src/console), admin route `console`; CONSOLE=false: 404.
  app.use(
    consoleRoutes(deps, {
      exchanges: deps.exchanges ?? new ExchangeStore({ perOperation: 0, maxBytes: 0, maxBodyBytes: deps.config.exchangeMaxBodyBytes }),
      guard: adminGuard(deps, 'console'),
      callContext: (requestId, rec, dryRun) => restCallContext(deps, requestId, rec, dryRun),
      soapContext: (requestId, rec, dryRun) => soapCallContext(deps, requestId, rec, dryRun),
      admit: (req, res, op, service) => rateLimit(deps, req, res, { ...factsOf(req), service }, op),
      runRoute,
      principal: (req, p) => (factsOf(req).principal = p),
      authBlocked: (req, bundle) => (deps.rateLimits && bundle.authFailures ? blockedAddress(authGuard(deps, factsOf(req)), bundle.authFailures, req) : Promise.resolve(undefined)),
      authFailed: (req, bundle, err) => (deps.rateLimits && bundle.authFailures && isAuthFailure(err) ? authFailed(authGuard(deps, factsOf(req)), bundle.authFailures, req, err) : Promise.resolve(err)),
    }),
  );

  app.get('/metrics', async (_req, res) => {
    if (!deps.metrics) throw new BridgeError('NOT_FOUND', 'metrics are turned off (METRICS=false)');
    const { contentType, body } = await deps.metrics.text();
    res.setHeader('content-type', contentType);
    res.send(body);
  });

  // GET /openapi.json and /docs (the API reference UI).
  app.use(docsRoutes(registry, (req) => requestOrigin(deps, req)));

  app.all('/soap/:service', (req: Request, res: Response) => {
    res.setHeader('allow', 'GET, HEAD, POST');
    throw new BridgeError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here: GET ?wsdl for the contract, POST a SOAP envelope`);
  });

  app.use((req: Request) => {
    throw new BridgeError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Express's router could not percent-decode a path parameter (/soap/%ZZ): no such route,
    // not a bug of the bridge.
    if (err instanceof URIError) err = new BridgeError('NOT_FOUND', `no route for ${req.method} ${req.path}: the path is not valid percent-encoding`);
    sendError(deps, req, res, err);
  });
  return app;
}

/**
 * The store of recent exchanges the configuration asks for. Nothing is recorded when the console
 * (the only reader) is off: CONSOLE=false or EXCHANGES_PER_OPERATION=0.
 */
export function exchangeStoreFor(config: Config): ExchangeStore {
  return new ExchangeStore({ perOperation: config.console ? config.exchangesPerOperation : 0, maxBytes: config.exchangesMaxBytes, maxBodyBytes: config.exchangeMaxBodyBytes });
}

/** The server's request listener. */
export function createRequestListener(given: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config } = given;
  const deps: AppDeps = given.exchanges ? given : { ...given, exchanges: exchangeStoreFor(config) };
  const app = createApp(deps);
  const { logger, metrics } = deps;
  return (req, res) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const f: RequestFacts = { requestId, started: performance.now(), path: q < 0 ? url : url.slice(0, q) };
    (req as WithFacts)[FACTS] = f;
    res.setHeader('x-request-id', requestId);
    metrics?.started();
    res.once('close', () => {
      try {
        accessLine();
      } catch (e) {
        // Runs in an event handler: a throw here would end the process.
        logger.error('cannot write the access line', { requestId, error: (e as Error)?.message });
      }
    });
    const accessLine = (): void => {
      const ms = performance.now() - f.started;
      // Labels stay bounded: only names of services and operations that exist are recorded.
      if (metrics) {
        const known = f.service !== undefined && deps.registry.get(f.service)?.operations.has(f.operation ?? '');
        metrics.finished(known ? f.service! : '', known ? f.operation! : '', res.statusCode, ms / 1000, f.backendMs === undefined ? undefined : f.backendMs / 1000);
      }
      const entry: Record<string, unknown> = {
        requestId,
        method: req.method,
        path: f.path,
        status: res.statusCode,
        durationMs: Math.round(ms * 100) / 100,
      };
      if (f.service !== undefined) entry.service = f.service;
      if (f.operation !== undefined) entry.operation = f.operation;
      if (f.principal !== undefined) entry.principal = f.principal;
      if (f.backendMs !== undefined) entry.backendMs = Math.round(f.backendMs * 100) / 100;
      if (f.dryRun) entry.dryRun = true;
      if (!res.writableFinished) entry.aborted = true;
      logger.info('access', entry);
    };
    const api = url.startsWith('/api/') ? apiRoute(url) : undefined;
    if (api) {
      handleApi(deps, req, res, api).catch((e: unknown) => sendError(deps, req, res, e));
      return;
    }
    const soap = url.startsWith('/soap/') ? soapRoute(url) : undefined;
    if (soap && req.method === 'POST') handleSoap(deps, req, res, soap.service, soap.query).catch((e: unknown) => sendError(deps, req, res, e));
    else if (soap && (req.method === 'GET' || req.method === 'HEAD')) {
      try {
        handleContract(deps, req, res, soap.service, soap.query);
      } catch (e) {
        sendError(deps, req, res, e);
      }
    } else app(req, res);
  };
}
