/**
 * End-to-end helpers: start the bridge on an ephemeral loopback port with a log captured in
 * memory, call it over HTTP, and stop everything a test started.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { startServer, type RunningBridge } from '../../src/main';
import { noteOutput } from './secrets';

export interface LogCapture {
  lines: Record<string, unknown>[];
  stream: Writable;
}

export function captureLog(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        // Every captured line goes to the secrets guard (test/log/secrets-guard.test.ts).
        noteOutput('log', line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { lines, stream };
}

export interface TestBridge extends RunningBridge {
  log: LogCapture;
}

export async function startBridge(servicesDir: string, env: NodeJS.ProcessEnv = {}, overrides: Record<string, string> = {}): Promise<TestBridge> {
  const log = captureLog();
  // Breakers off unless a test turns them on: many tests send failures to one backend origin on purpose.
  const config = loadConfig({ servicesDir, port: '0', host: '127.0.0.1', breakerFailures: '0', ...overrides }, {});
  const logger = createLogger({ level: 'info', stream: log.stream });
  const bridge = await startServer(config, { env, logger });
  return Object.assign(bridge, { log });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * One HTTP request on a fresh connection (no pooling between tests), bounded by a timeout;
 * `localAddress` binds the client's socket to another loopback address (127.0.0.2, …) so a test
 * can play several clients.
 */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10000, () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** A plain HTTP server on an ephemeral loopback port. */
export async function startHttp(handler: http.RequestListener): Promise<{ server: http.Server; port: number; url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A free port on loopback (for processes that must be told which port to use). */
/**
 * Passes a request received by a test server on to `origin` (same method, path and headers) and
 * its answer back; `body` is the request's own stream, or its bytes when they were read first.
 * Bounded: a backend silent for 10 s ends the exchange with a 502.
 */
export function forward(origin: string, req: http.IncomingMessage, res: http.ServerResponse, body: http.IncomingMessage | Buffer = req): void {
  const out = http.request(`${origin}${req.url}`, { method: req.method, headers: req.headers, agent: false }, (back) => {
    res.writeHead(back.statusCode ?? 502, back.headers);
    back.pipe(res);
  });
  out.setTimeout(10000, () => out.destroy(new Error('relay timeout')));
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  if (Buffer.isBuffer(body)) out.end(body);
  else body.pipe(out);
}

export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `soap-bridge-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a bundle folder: the given files, copied or written. */
export function writeBundle(root: string, name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
  return dir;
}
