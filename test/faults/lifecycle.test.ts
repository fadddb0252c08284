/**
 * Graceful shutdown of `soap-bridge serve` in a child process (README "Configuration",
 * SHUTDOWN_GRACE_MS): on SIGTERM /readyz answers 503 at once, the listening socket is closed
 * (new connections are refused), a request in flight finishes with its 200, and the process exits
 * 0; a request that outlives the grace period is cut and the process still exits 0 in bounded time.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { installProcessGuards } from '../../src/main';
import { spawnCli, type CliChild } from '../support/child';
import { createLogger } from '../../src/log';
import { captureLog, freePort, postJson, request, startHttp, tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ADD_OK = `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="urn:soap-bridge:demo:calculator"><soap:Body><tns:AddResponse><tns:AddResult>5</tns:AddResult></tns:AddResponse></soap:Body></soap:Envelope>`;
const SLOW_MS = 1500;

type Child = CliChild;

function serve(cwd: string, services: string, port: number, env: Record<string, string>, nodeArgs: string[] = []): Child {
  return spawnCli(['serve', '--services', services, '--port', String(port), '--host', '127.0.0.1', '--no-watch'], { cwd, env, nodeArgs });
}

/** Waits (bounded) for a log line with the given message. */
async function logLine(c: Child, message: string, ms = 15000): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const line of c.stdout.join('').split('\n')) {
      if (!line.includes(`"message":"${message}"`)) continue;
      return JSON.parse(line) as Record<string, unknown>;
    }
    if (c.proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no "${message}" line: ${c.stderr.join('')}${c.stdout.join('')}`);
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the connect error code, or 'connected' (and closes the socket). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** An open connection holding the first part of a GET /readyz: the server counts it as busy, not idle. */
function halfRequest(port: number): Promise<{ finish(): Promise<string>; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n', () =>
        resolve({
          socket,
          finish: () =>
            new Promise<string>((done) => {
              const answered = (): void => {
                const text = Buffer.concat(chunks).toString('utf8');
                if (/\r\n\r\n[\s\S]*\}$/.test(text) || socket.destroyed) {
                  socket.destroy();
                  done(text);
                }
              };
              socket.on('data', answered);
              socket.once('close', answered);
              socket.write('\r\n');
            }),
        }),
      );
    });
  });
}

describe('graceful shutdown of `soap-bridge serve` (child process)', function () {
  this.timeout(60000);
  let backend: Awaited<ReturnType<typeof startHttp>>;
  let tmp: ReturnType<typeof tempDir>;
  const children: Child[] = [];
  const held: http.ServerResponse[] = [];
  let arrived: (() => void) | undefined;

  before(async () => {
    backend = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        arrived?.();
        if (req.url?.startsWith('/never')) {
          held.push(res);
          return;
        }
        const t = setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
          res.end(ADD_OK);
        }, SLOW_MS);
        res.on('close', () => clearTimeout(t));
      });
    });
    tmp = tempDir('lifecycle');
    const wsdl = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
    writeBundle(path.join(tmp.dir, 'slow'), 'calculator', { 'calculator.wsdl': wsdl, 'mapping.yaml': `soapBackend: ${backend.url}/slow/calculator\n` });
    writeBundle(path.join(tmp.dir, 'never'), 'calculator', { 'calculator.wsdl': wsdl, 'mapping.yaml': `soapBackend: ${backend.url}/never/calculator\n` });
  });

  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => within(c.exit, 10000, 'child exit').catch(() => undefined)));
    for (const r of held) r.destroy();
    await backend?.close();
    tmp?.remove();
  });

  it('SIGTERM: readyz 503 at once, new connections refused, the slow request completes 200, exit 0', async () => {
    const port = await freePort();
    const c = serve(tmp.dir, path.join(tmp.dir, 'slow'), port, { SHUTDOWN_GRACE_MS: '8000' });
    children.push(c);
    await logLine(c, 'listening');
    assert.equal((await request(`http://127.0.0.1:${port}/readyz`)).status, 200);

    const pending = await halfRequest(port);
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const started = Date.now();
    const slow = postJson(`http://127.0.0.1:${port}/api/calculator/Add`, { intA: 2, intB: 3 });
    await within(reached, 5000, 'the slow request reaching the backend');

    c.proc.kill('SIGTERM');
    await logLine(c, 'shutting down', 5000);
    const signalled = Date.now();
    // The request that was already on its way is answered, and says the bridge is not ready.
    const readyz = await within(pending.finish(), 3000, 'readyz during the drain');
    assert.match(readyz, /^HTTP\/1\.1 503 /, readyz);
    assert.match(readyz, /"status":"not ready"/);
    // The listening socket is gone: a new connection is refused while the slow request drains.
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
    assert.equal(c.proc.exitCode, null, 'still draining');

    const r = await within(slow, 8000, 'the slow request');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { AddResult: 5 });
    assert.ok(Date.now() - started >= SLOW_MS - 50);

    const exit = await within(c.exit, 5000, 'exit after the drain');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - signalled < SLOW_MS + 3000, `exited ${Date.now() - signalled} ms after SIGTERM`);
    await logLine(c, 'stopped', 1000);
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
    assert.equal(c.stderr.join(''), '');
  });

  it('SIGTERM: a request that outlives SHUTDOWN_GRACE_MS is cut, and the process still exits 0 in bounded time', async () => {
    const port = await freePort();
    const c = serve(tmp.dir, path.join(tmp.dir, 'never'), port, { SHUTDOWN_GRACE_MS: '800', BACKEND_TIMEOUT_MS: '60000' });
    children.push(c);
    await logLine(c, 'listening');
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const stuck = postJson(`http://127.0.0.1:${port}/api/calculator/Add`, { intA: 2, intB: 3 }).then(
      (r) => `status ${r.status}`,
      (e: Error) => e.message,
    );
    await within(reached, 5000, 'the request reaching the backend');
    const signalled = Date.now();
    c.proc.kill('SIGTERM');
    const exit = await within(c.exit, 6000, 'exit after the grace period');
    assert.deepEqual(exit, { code: 0, signal: null });
    const took = Date.now() - signalled;
    assert.ok(took >= 700 && took < 4000, `exited ${took} ms after SIGTERM`);
    assert.match(await within(stuck, 2000, 'the cut request'), /socket hang up|ECONNRESET/);
    await logLine(c, 'grace period over; closing the remaining connections', 1000);
  });
});

describe('process guards (unhandledRejection, uncaughtException)', function () {
  this.timeout(60000);

  it('installProcessGuards: a rejection is logged and nothing else; the first exception is logged and fatal runs once', () => {
    const proc = new EventEmitter();
    const log = captureLog();
    const logger = createLogger({ level: 'info', stream: log.stream });
    const fatal: unknown[] = [];
    const remove = installProcessGuards(proc, logger, (e) => fatal.push(e));
    proc.emit('unhandledRejection', new Error('stray'), Promise.resolve());
    proc.emit('unhandledRejection', 'just a string', Promise.resolve());
    assert.equal(fatal.length, 0);
    const boom = new Error('boom');
    proc.emit('uncaughtException', boom);
    proc.emit('uncaughtException', new Error('again'));
    assert.deepEqual(fatal, [boom]);
    remove();
    assert.equal(proc.listenerCount('unhandledRejection') + proc.listenerCount('uncaughtException'), 0);
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const errors = log.lines.filter((l) => l.level === 'error').map((l) => [l.message, l.error]);
      assert.deepEqual(errors, [
        ['unhandled promise rejection; still serving', 'stray'],
        ['unhandled promise rejection; still serving', 'just a string'],
        ['uncaught exception; draining, then exiting with 1', 'boom'],
        ['uncaught exception while stopping', 'again'],
      ]);
    });
  });

  it('serve: a stray rejection leaves it serving; an uncaught exception drains it and exits 1', async () => {
    const tmp = tempDir('guards');
    const backend = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(ADD_OK);
      });
    });
    let c: Child | undefined;
    try {
      const wsdl = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
      writeBundle(path.join(tmp.dir, 'ok'), 'calculator', { 'calculator.wsdl': wsdl, 'mapping.yaml': `soapBackend: ${backend.url}/calculator\n` });
      // Preloaded into the child (node -r): outside code of the process that misbehaves on a signal.
      const preload = path.join(tmp.dir, 'misbehave.js');
      fs.writeFileSync(
        preload,
        "process.on('SIGUSR2', () => { Promise.reject(new Error('stray rejection')); });\n" + "process.on('SIGWINCH', () => { setImmediate(() => { throw new Error('thrown in a callback'); }); });\n",
      );
      const port = await freePort();
      c = serve(tmp.dir, path.join(tmp.dir, 'ok'), port, { SHUTDOWN_GRACE_MS: '2000' }, ['-r', preload]);
      await logLine(c, 'listening');
      c.proc.kill('SIGUSR2');
      const rejection = await logLine(c, 'unhandled promise rejection; still serving', 5000);
      assert.equal(rejection.error, 'stray rejection');
      const r = await postJson(`http://127.0.0.1:${port}/api/calculator/Add`, { intA: 2, intB: 3 });
      assert.equal(r.status, 200, r.text);
      assert.equal((await request(`http://127.0.0.1:${port}/readyz`)).status, 200);
      assert.equal(c.proc.exitCode, null);

      c.proc.kill('SIGWINCH');
      const exit = await within(c.exit, 6000, 'exit after an uncaught exception');
      assert.deepEqual(exit, { code: 1, signal: null });
      const line = await logLine(c, 'uncaught exception; draining, then exiting with 1', 1000);
      assert.equal(line.error, 'thrown in a callback');
      await logLine(c, 'stopped', 1000);
    } finally {
      if (c && c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      if (c) await within(c.exit, 10000, 'child exit').catch(() => undefined);
      await backend.close();
      tmp.remove();
    }
  });
});
