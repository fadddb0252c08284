/**
 * The web console: `GET /console` (the page, from src/console/public) and its JSON API under
 * `/console/api` (docs/console.md is the reference). Admin route `console` (ADMIN_TOKEN,
 * ADMIN_ALLOW); CONSOLE=false answers 404 for all of it.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { checkAdminAccess } from '../admin/policy';
import { adminPolicyOf } from '../admin/routes';
import type { Bundle, CompiledOperation } from '../compile';
import type { Config } from '../config';
import { BridgeError, toProblem } from '../errors/catalogue';
import type { ServiceRegistry } from '../http/registry';
import { checkJsonContentType, parseJson, readBody } from '../http/body';
import type { Logger } from '../log';
import { redactText, redactValue } from '../log/redact';
import type { CallContext } from '../pipeline/rest-to-soap';
import { soapToRest, type SoapCallContext } from '../pipeline/soap-to-rest';
import type { RequestParts } from '../mapping/transform';
import type { ApiRoute } from '../mapping/compile';
import { faultReply, soapContentType } from '../soap/fault';
import type { Transport } from '../transport/http';
import { ExchangeStore, Recorder, type ExchangeRecord } from './exchanges';
import { MappingChecker } from './mapping-check';
import { operationDetail, operationsOf, findOperation } from './describe';
import { soapDryRunAnswer } from './dry-run';

export interface ConsoleDeps {
  registry: ServiceRegistry;
  config: Config;
  transport: Transport;
  logger: Logger;
  /** Environment for `${VAR}` in mapping files (the mapping route compiles bundles as on disk). */
  env?: NodeJS.ProcessEnv;
}

export interface ConsoleHooks {
  exchanges: ExchangeStore;
  /** The admin guard of route `console`. */
  guard: RequestHandler;
  /** The call context of the REST facade / SOAP facade for a console call. */
  callContext(requestId: string, rec: Recorder | undefined, dryRun: boolean): CallContext;
  soapContext(requestId: string, rec: Recorder | undefined, dryRun: boolean): SoapCallContext;
  /** Counts a console call under the operation's rate limit. */
  admit(req: IncomingMessage, res: ServerResponse, op: CompiledOperation, service: string): Promise<void>;
  /** authFailures (src/ratelimit/auth-failures.ts) for console SOAP calls: the refusal to answer when the caller's address is blocked for the service. */
  authBlocked?(req: IncomingMessage, bundle: Bundle): Promise<BridgeError | undefined>;
  /** Counts a failed authentication of a console SOAP call; returns the error to answer. */
  authFailed?(req: IncomingMessage, bundle: Bundle, err: BridgeError): Promise<BridgeError>;
  /** Sets who the caller is on the request's access line. */
  principal(req: IncomingMessage, principal: string): void;
  /** Runs a REST route (http/app.ts runRoute). */
  runRoute(service: string, route: ApiRoute, body: unknown, parts: RequestParts, ctx: CallContext): Promise<{ status: number; contentType?: string; body: string }>;
}

/** Who a console call to an authenticated route is recorded as (the admin guard let it in). */
export const CONSOLE_PRINCIPAL = 'console';

/** No inline code, nothing from elsewhere; no other site may frame the page (default-src does not cover frame-ancestors, base-uri or form-action). */
export const CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** src/console/public, from src (ts-node, tests of src) or from dist/src/console. */
export function publicDir(): string | undefined {
  const candidates = [path.join(__dirname, 'public'), path.resolve(__dirname, '..', '..', '..', 'src', 'console', 'public')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html')));
}

type Handler = (req: Request, res: Response) => Promise<void> | void;

/** Express 5 passes rejected promises on; the wrapper keeps that explicit for sync throws too. */
function route(h: Handler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    try {
      const p = h(req, res);
      if (p) p.catch(next);
    } catch (e) {
      next(e);
    }
  };
}

function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name];
  return v ?? '';
}

async function jsonBody(req: Request, config: Config): Promise<Record<string, unknown>> {
  checkJsonContentType(req.headers['content-type']);
  const v = parseJson(await readBody(req, config.maxBodyBytes), config.jsonMaxDepth);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BridgeError('VALIDATION_FAILED', 'the body must be a JSON object', { errors: [{ pointer: '', detail: 'must be an object' }] });
  return v as Record<string, unknown>;
}

function bundleOf(registry: ServiceRegistry, service: string): Bundle {
  const bundle = registry.get(service);
  if (!bundle) throw new BridgeError('NOT_FOUND', `no service named "${service}"`);
  return bundle;
}

function dryFlag(body: Record<string, unknown>): boolean {
  const d = body.dryRun;
  if (d === undefined || d === null) return false;
  if (typeof d !== 'boolean') throw new BridgeError('VALIDATION_FAILED', 'dryRun must be true or false', { errors: [{ pointer: '/dryRun', detail: 'must be boolean' }] });
  return d;
}

function noStore(res: Response): void {
  res.setHeader('cache-control', 'no-store');
}

export function consoleRoutes(deps: ConsoleDeps, hooks: ConsoleHooks): express.Router {
  const router = express.Router();
  const { registry, config, transport } = deps;
  const { exchanges } = hooks;
  const checker = new MappingChecker(config.servicesDir, deps.env, deps.logger);

  const off: RequestHandler = (req) => {
    throw new BridgeError('NOT_FOUND', `no route for ${req.method} ${req.originalUrl.split('?')[0]} (the console is turned off: CONSOLE=false)`);
  };
  if (!config.console) {
    router.use('/console', off);
    return router;
  }
  // The page and its files hold no data: ADMIN_ALLOW applies to them, the token does not (a
  // browser cannot send a bearer token when it loads a page; the page sends it on its API calls).
  const pagePolicy = { ...adminPolicyOf(config), tokenDigest: undefined };
  router.use('/console', (req, _res, next) => {
    checkAdminAccess(pagePolicy, 'console', req, config.trustProxy);
    next();
  });
  router.use('/console/api', hooks.guard);
  router.use('/console', (_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });

  // ---- the page -------------------------------------------------------------------------
  const dir = publicDir();
  const page: RequestHandler = (_req, res) => {
    if (!dir) throw new BridgeError('NOT_FOUND', 'the console page is not installed (src/console/public/index.html is missing)');
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  };
  router.get(['/console', '/console/', '/console/index.html'], page);
  if (dir) router.use('/console/assets', express.static(path.join(dir, 'assets'), { fallthrough: true, index: false, dotfiles: 'deny' }));

  // ---- services -------------------------------------------------------------------------
  router.get(
    '/console/api/services',
    route((_req, res) => {
      const byOrigin = new Map(transport.status().map((s) => [s.origin, s]));
      const root = path.resolve(config.servicesDir);
      const out = registry.served().map(({ bundle, generation, hash }) => {
        const ops = operationsOf(bundle);
        const urls = new Set<string>();
        for (const op of ops) {
          if (bundle.restFacade && op.endpoint) urls.add(op.endpoint);
          if (bundle.soapFacade && op.restBase) urls.add(op.restBase);
        }
        const backends = [...urls].map((url) => {
          let origin = url;
          try {
            origin = new URL(url).origin;
          } catch {
            /* shown as it is */
          }
          const s = byOrigin.get(origin);
          const last = transport.lastCall(origin);
          return { url: redactText(withoutUserinfo(url)), origin, circuit: s?.circuit ?? 'none', inFlight: s?.inFlight ?? 0, ...(last ? { lastCall: { ...last, ...(last.error ? { error: redactText(last.error) } : {}) } } : {}) };
        });
        return {
          name: bundle.name,
          generation,
          hash,
          validation: bundle.strict ? 'strict' : 'fast',
          facades: { rest: bundle.restFacade, soap: bundle.soapFacade },
          mappingFile: path.relative(root, path.join(bundle.dir, 'mapping.yaml')).split(path.sep).join('/'),
          backends,
          operations: ops.map((op) => ({
            name: op.name,
            routes: bundle.routes.filter((r) => r.operation === op.name).map((r) => ({ method: r.method, path: r.path })),
            ...(op.soapAction ? { soapAction: op.soapAction } : {}),
            oneWay: !op.model.output,
            idempotent: op.idempotent,
          })),
        };
      });
      noStore(res);
      res.json(out);
    }),
  );

  router.get(
    '/console/api/services/:service/operations/:operation',
    route((req, res) => {
      const bundle = bundleOf(registry, param(req, 'service'));
      noStore(res);
      res.json(operationDetail(bundle, findOperation(bundle, param(req, 'operation'))));
    }),
  );

  router.post(
    '/console/api/services/:service/operations/:operation/validate',
    route(async (req, res) => {
      const bundle = bundleOf(registry, param(req, 'service'));
      const op = findOperation(bundle, param(req, 'operation'));
      const body = await jsonBody(req, config);
      const violations = op.validateInput(body.input) ?? [];
      noStore(res);
      res.json({ valid: violations.length === 0, errors: violations.slice(0, 100).map((v) => ({ pointer: v.pointer, detail: redactText(v.detail) })) });
    }),
  );

  // ---- calls ----------------------------------------------------------------------------
  router.post(
    '/console/api/services/:service/operations/:operation/send',
    route(async (req, res) => {
      const service = param(req, 'service');
      const operation = param(req, 'operation');
      const bundle = bundleOf(registry, service);
      if (!bundle.restFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no REST facade (its mapping sets restBackend only): send a SOAP envelope to /console/api/services/${service}/soap`);
      findOperation(bundle, operation);
      const match = bundle.router.match('POST', [operation]);
      const apiRoute = match && 'found' in match && match.found.isDefault ? match.found : undefined;
      if (!apiRoute) throw new BridgeError('NOT_FOUND', `operation ${operation} of "${service}" has no default route (the mapping sets defaultRoutes: false); call one of its routes instead`);
      const body = await jsonBody(req, config);
      if (!('input' in body)) throw new BridgeError('VALIDATION_FAILED', 'the body needs "input": the operation\'s JSON input', { errors: [{ pointer: '/input', detail: 'is required' }] });
      const dry = dryFlag(body);
      const requestId = String(res.getHeader('x-request-id') ?? '');
      const rec = new Recorder('rest', `POST /api/${encodeURIComponent(service)}/${encodeURIComponent(operation)}`, requestId);
      rec.service = service;
      rec.operation = operation;
      rec.dryRun = dry;
      const text = JSON.stringify(body.input);
      rec.request = { contentType: 'application/json', body: text };
      const started = performance.now();
      const ctx = hooks.callContext(requestId, rec, dry);
      // Strict mode: the bundle's libxml2 schema stays allocated until this call is done (a reload may retire it meanwhile).
      const release = bundle.strict?.retain();
      try {
        if (apiRoute.auth) {
          // The route wants credentials; the console's own guard stands in for them, so it must exist.
          if (!consoleGuarded(config)) throw new BridgeError('FORBIDDEN', `operation ${operation} needs authentication (mapping auth:); the console sends to it only when ADMIN_TOKEN or ADMIN_ALLOW protects the console route`);
          rec.principal = CONSOLE_PRINCIPAL;
          hooks.principal(req, CONSOLE_PRINCIPAL);
        }
        await hooks.admit(req, res, apiRoute.op, service);
        const parts: RequestParts = { path: {}, query: new URLSearchParams(), headers: {} };
        const reply = await hooks.runRoute(service, apiRoute, body.input, parts, ctx);
        rec.noteAnswer(reply.status, reply.contentType, reply.body);
      } catch (e) {
        const err = asBridgeError(e, deps.logger, requestId);
        const problem = JSON.stringify(redactValue(toProblem(err, requestId, rec.route)));
        rec.noteError(err.code, err.detail, err.extra.errors);
        rec.noteAnswer(err.status, 'application/problem+json', problem);
      } finally {
        release?.();
      }
      rec.backendMs = ctx.backendMs;
      sendRecord(res, exchanges.finish(rec, rec.response?.status ?? 500, performance.now() - started));
    }),
  );

  router.post(
    '/console/api/services/:service/soap',
    route(async (req, res) => {
      const service = param(req, 'service');
      const bundle = bundleOf(registry, service);
      if (!bundle.soapFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no SOAP facade (its mapping sets no restBackend)`);
      const body = await jsonBody(req, config);
      if (typeof body.envelope !== 'string') throw new BridgeError('VALIDATION_FAILED', 'the body needs "envelope": the SOAP envelope as a string', { errors: [{ pointer: '/envelope', detail: 'must be string' }] });
      if (body.soapAction !== undefined && typeof body.soapAction !== 'string') throw new BridgeError('VALIDATION_FAILED', 'soapAction must be a string', { errors: [{ pointer: '/soapAction', detail: 'must be string' }] });
      const dry = dryFlag(body);
      const requestId = String(res.getHeader('x-request-id') ?? '');
      const envelope = body.envelope;
      const soapAction = body.soapAction as string | undefined;
      const v12 = envelope.includes('http://www.w3.org/2003/05/soap-envelope');
      const contentType = v12 ? `${soapContentType('1.2')}${soapAction ? `; action="${soapAction.replace(/"/g, '')}"` : ''}` : soapContentType('1.1');
      const rec = new Recorder('soap', `POST /soap/${encodeURIComponent(service)}`, requestId);
      rec.service = service;
      rec.dryRun = dry;
      rec.request = { contentType, body: envelope };
      const ctx = hooks.soapContext(requestId, rec, dry);
      ctx.onAuthenticated = (p) => {
        rec.principal = p;
        hooks.principal(req, p);
      };
      ctx.admit = (op) => hooks.admit(req, res, op, service);
      // Guesses through the console cost the address what they cost on /soap/{service}.
      const refusal = await hooks.authBlocked?.(req, bundle);
      if (refusal) {
        ctx.beforeAuth = () => {
          throw refusal;
        };
      }
      const started = performance.now();
      const release = bundle.strict?.retain();
      try {
        let reply = await soapToRest(bundle, { contentType, soapAction: v12 ? undefined : soapAction === undefined ? undefined : `"${soapAction}"`, body: Buffer.from(envelope, 'utf8') }, ctx);
        if (ctx.dryRun?.plan) reply = { status: 200, contentType: 'application/json', body: soapDryRunAnswer(service, ctx.operation ?? '', ctx.dryRun.plan) };
        rec.noteAnswer(reply.status, reply.contentType, reply.body);
      } catch (e) {
        let err = asBridgeError(e, deps.logger, requestId);
        if (err.extra.authFailure && hooks.authFailed) err = await hooks.authFailed(req, bundle, err);
        const fault = faultReply(err, ctx.version ?? '1.1', requestId);
        rec.noteError(err.code, err.detail, err.extra.errors);
        rec.noteAnswer(fault.status, fault.contentType, fault.body);
      } finally {
        release?.();
      }
      rec.operation = ctx.operation ?? null;
      rec.backendMs = ctx.backendMs;
      sendRecord(res, exchanges.finish(rec, rec.response?.status ?? 500, performance.now() - started));
    }),
  );

  // ---- recent exchanges -----------------------------------------------------------------
  router.get(
    '/console/api/exchanges',
    route((req, res) => {
      const q = req.query as Record<string, unknown>;
      const pick = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
      noStore(res);
      res.json(exchanges.list({ service: pick(q.service), operation: pick(q.operation) }));
    }),
  );

  router.get(
    '/console/api/exchanges/:id',
    route((req, res) => {
      const record = exchanges.get(param(req, 'id'));
      if (!record) throw new BridgeError('NOT_FOUND', `no recorded exchange "${param(req, 'id')}" (kept: the last ${config.exchangesPerOperation} per operation, ${config.exchangesMaxBytes} bytes in all)`);
      noStore(res);
      res.json(record);
    }),
  );

  // ---- mapping --------------------------------------------------------------------------
  router.get(
    '/console/api/services/:service/mapping',
    route(async (req, res) => {
      const service = param(req, 'service');
      const served = registry.served().find((s) => s.bundle.name === service);
      if (!served) throw new BridgeError('NOT_FOUND', `no service named "${service}"`);
      const answer = await checker.check(served.bundle, served.hash);
      noStore(res);
      res.json(answer);
    }),
  );

  router.use('/console/api', (req: Request) => {
    throw new BridgeError('NOT_FOUND', `no console API route for ${req.method} ${req.originalUrl.split('?')[0]}`);
  });
  // A path parameter the router cannot decode (`%ZZ`) is a caller's mistake, not a bug: 404 like any unknown path.
  router.use('/console', (err: unknown, req: Request, _res: Response, next: NextFunction) => {
    next(err instanceof URIError ? new BridgeError('NOT_FOUND', `no console route for ${req.method} ${req.originalUrl.split('?')[0]} (it is not valid percent-encoding)`) : err);
  });
  return router;
}

/** Whether ADMIN_TOKEN or ADMIN_ALLOW protects the console route. */
function consoleGuarded(config: Config): boolean {
  const p = adminPolicyOf(config);
  return p.routes.has('console') && (p.tokenDigest !== undefined || p.allow !== undefined);
}

function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function asBridgeError(e: unknown, logger: Logger, requestId: string): BridgeError {
  if (e instanceof BridgeError) return e;
  const err = e as { message?: string; stack?: string } | undefined;
  logger.error('unhandled error in a console call', { requestId, error: err?.message ?? String(e), stack: err?.stack });
  return new BridgeError('INTERNAL', `an internal error occurred; quote request id ${requestId} when reporting it`);
}

function sendRecord(res: Response, record: ExchangeRecord): void {
  noStore(res);
  res.json(record);
}
