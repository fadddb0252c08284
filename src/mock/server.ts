/**
 * The mock's HTTP side: `POST` (any path) takes SOAP requests, `GET ?wsdl` (`?wsdl=N`, `?xsd=N`)
 * publishes the contract with every `soap:address` pointing at the mock, `GET /healthz` answers
 * `{"status":"ok"}`. One access line per request, like the bridge's.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BridgeError } from '../errors/catalogue';
import { readBody } from '../http/body';
import type { Logger } from '../log';
import { versionOfContentType } from '../pipeline/soap-to-rest';
import { faultReply } from '../soap/fault';
import type { MockService } from './index';

export interface MockServerOptions {
  port: number;
  host: string;
  logger: Logger;
  maxBodyBytes?: number;
  /** How long in-flight requests may take to finish on close (default 5000 ms). */
  graceMs?: number;
}

export interface RunningMock {
  server: http.Server;
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish (up to the grace period), closes. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function send(res: http.ServerResponse, status: number, contentType: string, body: string, head = false): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export async function startMockServer(mock: MockService, options: MockServerOptions): Promise<RunningMock> {
  const { logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const listener = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    let operation: string | undefined;
    res.once('close', () => {
      const entry: Record<string, unknown> = { requestId, method: req.method, path: pathname, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 100) / 100 };
      if (operation !== undefined) entry.operation = operation;
      logger.info('access', entry);
    });
    if (req.method === 'POST') {
      const version = versionOfContentType(req.headers['content-type']) ?? '1.1';
      let body: Buffer;
      try {
        body = await readBody(req, maxBodyBytes);
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        const f = faultReply(e, version, requestId);
        res.setHeader('connection', 'close');
        send(res, f.status, f.contentType, f.body);
        return;
      }
      const action = req.headers.soapaction;
      const reply = mock.handle({ contentType: req.headers['content-type'], soapAction: Array.isArray(action) ? action[0] : action, body }, requestId);
      operation = reply.operation;
      send(res, reply.status, reply.contentType, reply.body);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const head = req.method === 'HEAD';
      if (pathname === '/healthz' && query === '') return send(res, 200, 'application/json', '{"status":"ok"}', head);
      const lower = query.toLowerCase();
      const key = lower === 'wsdl' || lower === 'wsdl=' ? 'wsdl' : /^(wsdl|xsd)=\d+$/.test(lower) ? lower : undefined;
      const host = req.headers.host;
      if (key && host && HOST.test(host)) {
        const doc = mock.bundle.contract.render(key, `http://${host}${pathname}`);
        if (doc) {
          res.setHeader('etag', doc.etag);
          if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === doc.etag)) {
            res.writeHead(304);
            res.end();
            return;
          }
          return send(res, 200, 'text/xml; charset=utf-8', doc.body, head);
        }
      }
      return send(res, 404, 'text/plain; charset=utf-8', `Not found. POST SOAP requests to any path; GET ?wsdl for the contract${key ? ` (there is no document ?${key})` : ''}.\n`, head);
    }
    res.setHeader('allow', 'GET, HEAD, POST');
    send(res, 405, 'text/plain; charset=utf-8', `${req.method} is not allowed: POST SOAP requests, GET ?wsdl for the contract.\n`);
  };
  const server = http.createServer((req, res) => {
    listener(req, res).catch((e: unknown) => {
      logger.error('unhandled error', { error: (e as Error)?.message, stack: (e as Error)?.stack });
      if (res.headersSent) res.destroy();
      else {
        const f = faultReply(new BridgeError('INTERNAL', 'an internal error occurred in the mock'), versionOfContentType(req.headers['content-type']) ?? '1.1', String(res.getHeader('x-request-id') ?? ''));
        send(res, f.status, f.contentType, f.body);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), options.graceMs ?? 5000);
      });
      const result = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (result === 'expired') {
        server.closeAllConnections();
        await drained;
      }
    })();
    return closing;
  };
  return { server, url, port, close };
}
