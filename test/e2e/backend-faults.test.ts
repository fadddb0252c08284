/**
 * Backend fault handling end to end: the circuit breaker per backend origin, retries of
 * idempotent operations only, the connect timeout, and the bound on calls waiting for a
 * connection. Every backend is a loopback server of this file, and every hit is counted.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';

function envelope11(body: string): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="urn:soap-bridge:demo:calculator"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}
const OK = envelope11('<tns:AddResponse><tns:AddResult>5</tns:AddResult></tns:AddResponse>');
const FAULT = envelope11('<soap:Fault><faultcode>soap:Server</faultcode><faultstring>no such account</faultstring></soap:Fault>');

type Mode = 'ok' | 'fail' | 'fault' | 'reset-once' | 'hang' | 'endless';

/** A backend whose answer is set by the test; counts hits by path. */
async function startBackend() {
  const hits = new Map<string, number>();
  const held: http.ServerResponse[] = [];
  let mode: Mode = 'ok';
  let endlessClosed = false;
  const srv = await startHttp((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = (hits.get(req.url ?? '') ?? 0) + 1;
      hits.set(req.url ?? '', n);
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      if (mode === 'endless') {
        // A reply without content-length that never ends: only the size limit stops it.
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.write('<?xml version="1.0"?><soap:Envelope xmlns:soap="' + SOAP11 + '"><soap:Body><!--');
        const timer = setInterval(() => res.write('x'.repeat(16384)), 2);
        res.on('close', () => {
          clearInterval(timer);
          endlessClosed = true;
        });
      } else if (mode === 'hang') held.push(res);
      else if (mode === 'fail') send(502, 'text/html', '<html><body>Bad Gateway</body></html>');
      else if (mode === 'fault') send(500, 'text/xml', FAULT);
      else if (mode === 'reset-once' && n === 1) req.socket.destroy();
      else send(200, 'text/xml', OK);
    });
  });
  return {
    ...srv,
    hits,
    held,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    endlessClosed: () => endlessClosed,
    set(m: Mode) {
      mode = m;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms for at most `ms`. */
async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A loopback socket that never accepts: a child process listens with a backlog of 1 and then
 * blocks its event loop; once fillers take the accept queue, the kernel drops further SYNs,
 * so a connect hangs until the client's own timeout.
 */
async function startBlackhole(): Promise<{ port: number; close(): void }> {
  const code =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "require('fs').writeSync(1,s.address().port+'\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000);process.exit(0);});";
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('blackhole did not start')), 10000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(t);
      resolve(Number(String(d).trim()));
    });
  });
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
  }
  // Two complete (the accept queue), the rest stay in SYN-SENT.
  await sleep(200);
  return {
    port,
    close() {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('backend fault handling (breaker, retries, connect timeout, pool limits)', function () {
  let tmp: ReturnType<typeof tempDir>;
  let bridge: TestBridge;
  let api: string;
  let brk: Awaited<ReturnType<typeof startBackend>>;
  let fault: Awaited<ReturnType<typeof startBackend>>;
  let retry: Awaited<ReturnType<typeof startBackend>>;
  let slow: Awaited<ReturnType<typeof startBackend>>;
  let hole: Awaited<ReturnType<typeof startBlackhole>>;
  let json: Awaited<ReturnType<typeof startHttp>>;
  let jsonHits = 0;
  let jsonStatus = 503;

  before(async () => {
    [brk, fault, retry, slow] = await Promise.all([startBackend(), startBackend(), startBackend(), startBackend()]);
    hole = await startBlackhole();
    json = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        jsonHits++;
        const body = jsonStatus === 200 ? '{"AddResult":5}' : '{"title":"down"}';
        res.writeHead(jsonStatus, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    tmp = tempDir('faults');
    const bundle = (name: string, mapping: string): void => {
      writeBundle(tmp.dir, name, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping });
    };
    bundle('brk', `soapBackend: ${brk.url}/calc\ncircuitBreaker: {failures: 3, resetMs: 600}\n`);
    bundle('fault', `soapBackend: ${fault.url}/calc\ncircuitBreaker: {failures: 2, resetMs: 60000}\nidempotent: true\n`);
    bundle('idem', `soapBackend: ${retry.url}/idem\noperations:\n  Add: {idempotent: true}\n`);
    bundle('nonidem', `soapBackend: ${retry.url}/nonidem\n`);
    bundle('retry502', `soapBackend: ${brk.url}/retry502\nidempotent: true\ncircuitBreaker: false\n`);
    bundle('hole', `soapBackend: http://127.0.0.1:${hole.port}/calc\nconnectTimeoutMs: 300\ntimeoutMs: 5000\n`);
    bundle('jcalc', `restBackend: ${json.url}\ncircuitBreaker: {failures: 2, resetMs: 60000}\n`);
    bundle('slow', `soapBackend: ${slow.url}/calc\ntimeoutMs: 10000\n`);
    bridge = await startBridge(tmp.dir, {}, { backendMaxConnections: '1', backendMaxQueue: '1', backendRetries: '2', backendRetryBackoffMs: '10', maxBodyBytes: '262144' });
    api = `${bridge.url}/api`;
  });

  after(async () => {
    for (const res of slow?.held ?? []) res.destroy();
    hole?.close();
    await bridge?.close();
    await Promise.all([brk?.close(), fault?.close(), retry?.close(), slow?.close(), json?.close()]);
    tmp?.remove();
  });

  it('opens after N failures, answers 503 + Retry-After without calling the backend, half-opens and closes', async () => {
    brk.set('fail');
    for (let i = 0; i < 3; i++) {
      const r = await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-invalid-reply');
    }
    assert.equal(brk.hits.get('/calc'), 3);
    const open = await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 });
    assert.equal(open.status, 503, open.text);
    assert.equal(open.json.type, 'urn:soap-bridge:problem:backend-circuit-open');
    assert.equal(open.headers['retry-after'], '1');
    assert.match(open.headers['content-type'] ?? '', /problem\+json/);
    assert.equal(brk.hits.get('/calc'), 3, 'the open breaker does not call the backend');

    const metrics = await request(`${bridge.url}/metrics`);
    assert.match(metrics.text, new RegExp(`soap_bridge_backend_circuit_state\\{backend="${brk.url.replace(/\./g, '\\.')}"\\} 2`));
    const ready = await request(`${bridge.url}/readyz`);
    assert.deepEqual(ready.json.backends, [{ origin: brk.url, circuit: 'open' }]);

    // Half-open after the cool-down: a failing trial opens it again.
    await sleep(650);
    assert.equal((await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 })).status, 502);
    assert.equal(brk.hits.get('/calc'), 4);
    assert.equal((await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 })).status, 503);
    assert.equal(brk.hits.get('/calc'), 4);

    // Recovery: the next trial succeeds and the breaker closes.
    brk.set('ok');
    await sleep(650);
    const trial = await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 });
    assert.equal(trial.status, 200, trial.text);
    assert.deepEqual(trial.json, { AddResult: 5 });
    for (let i = 0; i < 3; i++) assert.equal((await postJson(`${api}/brk/Add`, { intA: 2, intB: 3 })).status, 200);
    assert.equal(brk.hits.get('/calc'), 8);
    assert.match((await request(`${bridge.url}/metrics`)).text, new RegExp(`soap_bridge_backend_circuit_state\\{backend="${brk.url.replace(/\./g, '\\.')}"\\} 0`));
  });

  it('a SOAP Fault does not trip the breaker and is not retried (the backend answered)', async () => {
    fault.set('fault');
    for (let i = 0; i < 5; i++) {
      const r = await postJson(`${api}/fault/Add`, { intA: 2, intB: 3 });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-fault');
    }
    assert.equal(fault.hits.get('/calc'), 5, 'one hit per call: no retry, no open breaker');
  });

  it('retries an idempotent operation after a connection reset (2 hits, 200) and logs the retry', async () => {
    retry.set('reset-once');
    const r = await postJson(`${api}/idem/Add`, { intA: 2, intB: 3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(retry.hits.get('/idem'), 2);
    assert.ok(bridge.log.lines.some((l) => /retrying Add \(attempt 2\)/.test(String(l.message))), 'the retry is logged');
  });

  it('does not retry an operation not marked idempotent (1 hit, 502)', async () => {
    retry.set('reset-once');
    const r = await postJson(`${api}/nonidem/Add`, { intA: 2, intB: 3 });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-unreachable');
    assert.equal(retry.hits.get('/nonidem'), 1);
  });

  it('retries 502 a bounded number of times (BACKEND_RETRIES=2: 3 hits)', async () => {
    brk.set('fail');
    const r = await postJson(`${api}/retry502/Add`, { intA: 2, intB: 3 });
    assert.equal(r.status, 502, r.text);
    assert.equal(brk.hits.get('/retry502'), 3);
    brk.set('ok');
  });

  it('a socket that never accepts gives 504 BACKEND_TIMEOUT after the connect timeout', async () => {
    const started = Date.now();
    const r = await postJson(`${api}/hole/Add`, { intA: 2, intB: 3 });
    const ms = Date.now() - started;
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-timeout');
    assert.match(r.json.detail, /did not accept a connection: no connection within 300 ms/);
    assert.ok(ms < 3000, `answered after ${ms} ms, not after the 300 ms connect timeout`);
  });

  it('beyond the connections and the waiting bound, answers 503 at once; the others complete', async () => {
    slow.set('hang');
    const first = postJson(`${api}/slow/Add`, { intA: 2, intB: 3 });
    await waitFor(() => slow.total() === 1, 5000, 'the first call to reach the backend');
    const second = postJson(`${api}/slow/Add`, { intA: 2, intB: 3 });
    await waitFor(async () => /soap_bridge_backend_calls_in_flight\{backend="[^"]+"\} 2/.test((await request(`${bridge.url}/metrics`)).text), 5000, 'two calls in flight');
    const third = await postJson(`${api}/slow/Add`, { intA: 2, intB: 3 });
    assert.equal(third.status, 503, third.text);
    assert.equal(third.json.type, 'urn:soap-bridge:problem:backend-overloaded');
    assert.ok(third.headers['retry-after']);
    assert.equal(slow.total(), 1, 'one connection: the second call waits, the third is refused');
    slow.set('ok');
    for (const res of slow.held.splice(0)) {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(OK);
    }
    assert.equal((await first).status, 200);
    const r2 = await second;
    assert.equal(r2.status, 200, r2.text);
    assert.equal(slow.total(), 2);
  });

  it('SOAP facade: an open breaker is a Server fault with Retry-After, the JSON service not called', async () => {
    const call = () =>
      request(`${bridge.url}/soap/jcalc`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:soap-bridge:demo:calculator#Add"' },
        body: envelope11('<tns:Add><tns:intA>2</tns:intA><tns:intB>3</tns:intB></tns:Add>'),
      });
    jsonStatus = 503;
    for (let i = 0; i < 2; i++) {
      const r = await call();
      assert.equal(r.status, 500, r.text);
      assert.match(r.text, /backend-unreachable/);
      assert.equal(r.headers['retry-after'], undefined);
    }
    assert.equal(jsonHits, 2);
    const open = await call();
    assert.equal(open.status, 500, open.text);
    assert.match(open.text, /<faultcode>soap:Server<\/faultcode>/);
    assert.match(open.text, /backend-circuit-open/);
    assert.match(open.headers['retry-after'] ?? '', /^\d+$/);
    assert.ok(Number(open.headers['retry-after']) >= 59, `Retry-After ${open.headers['retry-after']}: about the 60 s cool-down`);
    assert.equal(jsonHits, 2, 'the JSON service is not called while the breaker is open');
  });

  it('a reply that grows past MAX_BODY_BYTES is cut off while it streams (502), and its connection closed', async () => {
    brk.set('endless');
    const started = Date.now();
    const r = await postJson(`${api}/retry502/Add`, { intA: 2, intB: 3 });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-invalid-reply');
    assert.match(r.json.detail, /too large: reply is over the 262144-byte limit/);
    assert.ok(Date.now() - started < 5000);
    await waitFor(() => brk.endlessClosed(), 5000, 'the backend to see its connection closed');
    brk.set('ok');
  });
});
