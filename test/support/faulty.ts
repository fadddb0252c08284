/**
 * Misbehaving backends for the fault-injection suite: one node:http server whose behaviour is
 * chosen by the first path segment of each request (`/{mode}/…`), and that keeps track of every
 * socket it accepted so that a test can check the bridge let go of its connection.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface FaultyBackend {
  port: number;
  url: string;
  /** Sockets whose request used the given mode, in arrival order. */
  socketsOf(mode: string): Socket[];
  /** Resolves once every socket of the mode is closed; rejects after `ms`. */
  allClosed(mode: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultyBackend(modes: Record<string, FaultHandler>): Promise<FaultyBackend> {
  const byMode = new Map<string, Socket[]>();
  const open = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const mode = (req.url ?? '/').split('/')[1] ?? '';
    const list = byMode.get(mode) ?? [];
    if (!list.includes(req.socket)) list.push(req.socket);
    byMode.set(mode, list);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = modes[mode];
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no mode ${mode}`);
        return;
      }
      handler(req, res, Buffer.concat(chunks));
    });
  });
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    // A write after the bridge hung up (huge, drip) must not crash the test process.
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    socketsOf: (mode) => byMode.get(mode) ?? [],
    allClosed: (mode, ms) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          const left = (byMode.get(mode) ?? []).filter((s) => open.has(s));
          if (left.length === 0) return resolve();
          if (Date.now() - started > ms) return reject(new Error(`${left.length} connection(s) of mode ${mode} still open after ${ms} ms`));
          const t = setTimeout(() => {
            timers.delete(t);
            check();
          }, 20);
          timers.add(t);
        };
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of open) s.destroy();
      }),
  };
}

/** Writes `total` bytes of `fill` in chunks, respecting back-pressure, until done or the peer leaves. */
export function streamHuge(res: http.ServerResponse, head: string, total: number, fill: string): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  res.write(head);
  sent += Buffer.byteLength(head);
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => res.off('drain', pump));
  pump();
}

/** Writes one byte every `everyMs` until the peer leaves (never finishes on its own). */
export function drip(res: http.ServerResponse, head: string, everyMs: number): void {
  res.write(head);
  const t = setInterval(() => {
    if (res.destroyed) return clearInterval(t);
    res.write(' ');
  }, everyMs);
  res.on('close', () => clearInterval(t));
}
