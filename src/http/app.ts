/**
 * The HTTP surface: request ids, the REST facade (`POST /api/{service}/{operation}`),
 * health routes, one access log line per request and one error exit that turns every
 * failure into an RFC 9457 problem.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Bundle } from '../compile';
import type { Config } from '../config';
import { BridgeError, toProblem } from '../errors/catalogue';
import type { Logger } from '../log';
import { didYouMean } from '../mapping';
import { restToSoap, type CallContext } from '../pipeline/rest-to-soap';
import type { Transport } from '../transport/http';
import { checkJsonContentType, parseJson, readBody } from './body';

/** The bundles being served; replaced as a whole so a request sees one consistent set. */
export class ServiceRegistry {
  private bundles = new Map<string, Bundle>();

  replace(bundles: Bundle[]): void {
    this.bundles = new Map(bundles.map((b) => [b.name, b]));
  }

  get(name: string): Bundle | undefined {
    return this.bundles.get(name);
  }

  list(): Bundle[] {
    return [...this.bundles.values()];
  }
}

export interface AppState {
  ready: boolean;
}

export interface AppDeps {
  registry: ServiceRegistry;
  logger: Logger;
  config: Config;
  transport: Transport;
  state: AppState;
}

/** Per-request facts, kept on res.locals for the access log. */
interface RequestFacts {
  requestId: string;
  log: Logger;
  started: number;
  service?: string;
  operation?: string;
  backendMs?: number;
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

function facts(res: Response): RequestFacts {
  return res.locals.facts as RequestFacts;
}

function sendProblem(res: Response, err: BridgeError, instance: string): void {
  const f = facts(res);
  if (err.code === 'PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
  for (const [k, v] of Object.entries(err.extra.headers ?? {})) res.setHeader(k, v);
  res
    .status(err.status)
    .type('application/problem+json')
    .send(JSON.stringify(toProblem(err, f?.requestId, instance)));
}

export function createApp(deps: AppDeps): express.Express {
  const { registry, logger, config, transport, state } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Request id, child logger and the access line.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const f: RequestFacts = { requestId, log: logger.child({ requestId }), started: performance.now() };
    res.locals.facts = f;
    res.setHeader('x-request-id', requestId);
    res.on('close', () => {
      const entry: Record<string, unknown> = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - f.started) * 100) / 100,
      };
      if (f.service) entry.service = f.service;
      if (f.operation) entry.operation = f.operation;
      if (f.backendMs !== undefined) entry.backendMs = Math.round(f.backendMs * 100) / 100;
      if (!res.writableFinished) entry.aborted = true;
      logger.info('access', entry);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const services = registry.list().map((b) => b.name);
    if (!state.ready) res.status(503).json({ status: 'not ready', services });
    else res.json({ status: 'ready', services });
  });

  app.post('/api/:service/:operation', async (req: Request, res: Response) => {
    const f = facts(res);
    const service = String(req.params.service);
    const operation = String(req.params.operation);
    f.service = service;
    f.operation = operation;
    const bundle = registry.get(service);
    if (!bundle) {
      const hint = didYouMean(service, registry.list().map((b) => b.name));
      throw new BridgeError('NOT_FOUND', `no service named "${service}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    if (!bundle.restFacade) throw new BridgeError('NOT_FOUND', `service "${service}" has no REST facade (its mapping sets restBackend only)`);
    const op = bundle.operations.get(operation);
    if (!op) {
      const hint = didYouMean(operation, [...bundle.operations.keys()]);
      throw new BridgeError('NOT_FOUND', `service "${service}" has no operation "${operation}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    checkJsonContentType(req.headers['content-type']);
    const input = parseJson(await readBody(req, config.maxBodyBytes));
    const ctx: CallContext = { requestId: f.requestId, transport, defaultTimeoutMs: config.backendTimeoutMs, maxBodyBytes: config.maxBodyBytes };
    try {
      const output = await restToSoap(op, input, ctx);
      if (output === undefined) res.status(204).end();
      else res.status(200).type('application/json').send(JSON.stringify(output));
    } finally {
      f.backendMs = ctx.backendMs;
    }
  });

  app.all('/api/:service/:operation', (req: Request, res: Response) => {
    res.setHeader('allow', 'POST');
    throw new BridgeError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; call operations with POST`);
  });

  app.use((req: Request) => {
    throw new BridgeError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });

  // The one error exit.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const f = facts(res);
    let bridgeError: BridgeError;
    if (err instanceof BridgeError) {
      bridgeError = err;
      if (err.status >= 500) f.log.warn(err.detail, { code: err.code, service: f.service, operation: f.operation });
    } else {
      const e = err as { type?: string; status?: number; message?: string; stack?: string };
      f.log.error('unhandled error', { error: e?.message, stack: e?.stack, service: f.service, operation: f.operation });
      bridgeError = new BridgeError('INTERNAL', `an internal error occurred; quote request id ${f.requestId} when reporting it`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, bridgeError, req.originalUrl);
  });

  return app;
}
