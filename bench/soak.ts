/**
 * `npm run soak`: a bounded soak run on loopback. Starts the bridge as a child process (the
 * demo bundles copied to a temp services dir, timeouts shortened, breaker and retries off so
 * that every outcome is predictable) in front of backends that inject faults for a share of the
 * requests, sends a mixed load with bounded concurrency for `--seconds N` (default 90, at most
 * 120), classifies every answer against what its scenario expects, samples the bridge's RSS
 * every second, and exits non-zero on any unexpected outcome, a bridge crash or an RSS trend.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startCalculatorBackend, startOrdersBackend } from '../fixtures/demo/backends';
import { startInventoryBackend } from '../fixtures/demo/inventory';

const ROOT = path.resolve(__dirname, '..', '..');
const TIMEOUT_MS = 1000;
const SLOW_MS = 1500;

export interface SoakOptions {
  seconds: number;
  connections: number;
  /** RSS growth over the second half beyond which the run fails, MB/min. */
  maxSlopeMbPerMin: number;
  /**
   * The bridge's V8 old-space cap (--max-old-space-size), MB; 0 for none. Without a cap V8
   * defers full collections while memory is plentiful, so heap and RSS climb for minutes with
   * nothing retained; with one, garbage is collected and a real leak ends in a crash.
   */
  heapMb?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  seconds: number;
  connections: number;
  heapMb: number;
  sent: number;
  answered: number;
  outcomes: Record<string, number>;
  unexpected: number;
  unexpectedSamples: string[];
  crashes: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  rssSlopeMbPerMin: number;
  rssTrend: boolean;
  p50: number;
  p99: number;
}

interface Reply {
  status: number;
  body: string;
}

interface Scenario {
  name: string;
  weight: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** undefined when the reply is what the scenario expects, else why not. */
  check(r: Reply): string | undefined;
}

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const INV = 'urn:soap-bridge:demo:inventory';

const json = (r: Reply): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

function problem(status: number, typeEnd: string): (r: Reply) => string | undefined {
  return (r) => {
    const j = json(r);
    if (r.status !== status) return `status ${r.status}, expected ${status}`;
    if (typeof j?.type !== 'string' || !j.type.endsWith(typeEnd)) return `problem type ${String(j?.type)}, expected …${typeEnd}`;
    return undefined;
  };
}

function soapFault(code: RegExp): (r: Reply) => string | undefined {
  return (r) => {
    if (r.status !== 500) return `status ${r.status}, expected 500`;
    const c = /<faultcode>([^<]+)<\/faultcode>/.exec(r.body)?.[1] ?? '';
    return code.test(c) ? undefined : `faultcode ${c}, expected ${code}`;
  };
}

const addJson = (a: number): string => JSON.stringify({ intA: a, intB: 3 });
const checkStock = (sku: string): string =>
  `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="${INV}"><soap:Body><tns:CheckStock><tns:sku>${sku}</tns:sku></tns:CheckStock></soap:Body></soap:Envelope>`;
const INV_HEADERS = { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${INV}/CheckStock"` };
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Which fault a calculator request asks for: intA 1001…1005. */
const CALC_MODES: Record<string, string> = { '1001': 'slow', '1002': 'reset', '1003': 'html502', '1004': 'invalid', '1005': 'fault' };

function scenarios(): Scenario[] {
  const add = (name: string, weight: number, a: number, check: Scenario['check']): Scenario => ({
    name,
    weight,
    method: 'POST',
    path: '/api/calculator/Add',
    headers: JSON_HEADERS,
    body: addJson(a),
    check,
  });
  return [
    add('add ok', 20, 2, (r) => (r.status === 200 && Number(json(r)?.AddResult) === 5 ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`)),
    {
      name: 'add custom route ok',
      weight: 10,
      method: 'GET',
      path: '/api/calculator/add?a=2&b=3',
      check: (r) => (r.status === 200 && Number(json(r)?.result) === 5 ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`),
    },
    {
      name: 'divide by zero (SOAP fault mapped)',
      weight: 5,
      method: 'GET',
      path: '/api/calculator/divide/7/0',
      check: problem(422, 'division-by-zero'),
    },
    add('injected timeout', 4, 1001, problem(504, 'backend-timeout')),
    add('injected reset', 4, 1002, problem(502, 'backend-unreachable')),
    add('injected HTML 502', 4, 1003, problem(502, 'backend-invalid-reply')),
    add('injected schema-invalid reply', 4, 1004, problem(502, 'backend-invalid-reply')),
    add('injected SOAP fault (unmapped)', 4, 1005, (r) => (r.status >= 500 && r.status < 600 && json(r)?.type ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`)),
    {
      name: 'orders list custom route ok',
      weight: 8,
      method: 'GET',
      path: '/api/orders/orders?limit=5',
      check: (r) => (r.status === 200 && Array.isArray(json(r)?.orders) ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`),
    },
    {
      name: 'order default route ok',
      weight: 8,
      method: 'POST',
      path: '/api/orders/GetOrder',
      headers: JSON_HEADERS,
      body: JSON.stringify({ orderId: 'ORD-1002' }),
      check: (r) => (r.status === 200 && json(r)?.order ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`),
    },
    {
      name: 'order not found (SOAP fault mapped)',
      weight: 4,
      method: 'GET',
      path: '/api/orders/orders/ORD-9999',
      check: problem(404, 'order-not-found'),
    },
    {
      name: 'orders injected timeout',
      weight: 3,
      method: 'GET',
      path: '/api/orders/orders/SLW-9001',
      check: problem(504, 'backend-timeout'),
    },
    {
      name: 'orders injected reset',
      weight: 3,
      method: 'GET',
      path: '/api/orders/orders/RST-9002',
      check: problem(502, 'backend-unreachable'),
    },
    {
      name: 'inventory SOAP facade ok',
      weight: 10,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: checkStock('BOK-1001'),
      check: (r) => (r.status === 200 && /<(\w+:)?available>\d+</.test(r.body) ? undefined : `status ${r.status} ${r.body.slice(0, 160)}`),
    },
    {
      name: 'inventory unknown article (Client fault)',
      weight: 3,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: checkStock('ZZZ-0000'),
      check: (r) => soapFault(/Client/)(r) ?? (/UnknownArticle/.test(r.body) ? undefined : 'no UnknownArticle subcode'),
    },
    {
      name: 'inventory injected timeout',
      weight: 3,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: checkStock('SLW-9001'),
      check: soapFault(/Server/),
    },
    {
      name: 'inventory injected reset',
      weight: 3,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: checkStock('RST-9002'),
      check: soapFault(/Server/),
    },
    {
      name: 'inventory injected HTML 502',
      weight: 3,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: checkStock('HTM-9003'),
      check: soapFault(/Server/),
    },
    {
      name: 'invalid body (not JSON)',
      weight: 3,
      method: 'POST',
      path: '/api/calculator/Add',
      headers: JSON_HEADERS,
      body: '{"intA": 2,',
      check: (r) => (r.status === 400 ? undefined : `status ${r.status}`),
    },
    {
      name: 'invalid input (schema)',
      weight: 3,
      method: 'POST',
      path: '/api/calculator/Add',
      headers: JSON_HEADERS,
      body: JSON.stringify({ intA: 'two', intB: 3 }),
      check: (r) => (r.status === 400 ? undefined : `status ${r.status}`),
    },
    {
      name: 'invalid SOAP request (not XML)',
      weight: 2,
      method: 'POST',
      path: '/soap/inventory',
      headers: INV_HEADERS,
      body: 'not xml',
      check: (r) => (r.status >= 400 && r.status < 600 && /Client|Sender/.test(r.body) ? undefined : `status ${r.status} ${r.body.slice(0, 120)}`),
    },
  ];
}

// ---- backends ----------------------------------------------------------------------------

interface Closable {
  close(): Promise<void>;
}

/** A server in front of a demo backend: injects the fault the request asks for, forwards the rest. */
async function faultyFront(upstreamPort: number, modeOf: (url: string, body: string) => string | undefined): Promise<Closable & { port: number }> {
  const sockets = new Set<import('node:net').Socket>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const mode = modeOf(req.url ?? '/', body.toString('utf8'));
      switch (mode) {
        case 'slow': {
          const t = setTimeout(() => {
            if (!res.destroyed) res.end();
          }, SLOW_MS);
          res.on('close', () => clearTimeout(t));
          return;
        }
        case 'reset':
          req.socket.destroy();
          return;
        case 'html502':
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
          return;
        case 'invalid':
          res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
          res.end(
            `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="urn:soap-bridge:demo:calculator"><soap:Body><tns:AddResponse><tns:Sum>five</tns:Sum></tns:AddResponse></soap:Body></soap:Envelope>`,
          );
          return;
        case 'fault':
          res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' });
          res.end(
            `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>injected</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
          );
          return;
        default: {
          const up = http.request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (ur) => {
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            ur.pipe(res);
          });
          up.on('error', () => res.destroy());
          up.end(body);
        }
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      }),
  };
}

/** Which fault an orders or inventory request asks for: an id or SKU SLW-9001, RST-9002 or HTM-9003. */
const TOKEN_MODES: Record<string, string> = { SLW: 'slow', RST: 'reset', HTM: 'html502' };
const tokenMode = (text: string): string | undefined => TOKEN_MODES[/\b(SLW|RST|HTM)-900\d\b/.exec(text)?.[1] ?? ''];

// ---- the bridge ----------------------------------------------------------------------------

function servicesDir(ports: { calculator: number; orders: number; inventory: number }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-soak-'));
  for (const name of ['calculator', 'orders', 'inventory'] as const) {
    fs.mkdirSync(path.join(dir, name));
    for (const f of fs.readdirSync(path.join(ROOT, 'wsdl', name))) {
      let text = fs.readFileSync(path.join(ROOT, 'wsdl', name, f), 'utf8');
      if (f === 'mapping.yaml') {
        text = text.replace(/^timeoutMs: \d+$/m, `timeoutMs: ${TIMEOUT_MS}`).replace(/\$\{DEMO_[A-Z]+_PORT:-\d+\}/, String(ports[name]));
      }
      fs.writeFileSync(path.join(dir, name, f), text);
    }
  }
  return dir;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function waitUp(port: number, bridge: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (bridge.exitCode !== null) throw new Error(`the bridge exited with ${bridge.exitCode} while starting`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bridge did not listen within ${ms} ms`);
}

async function stopChild(c: ChildProcess, graceMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

function send(agent: http.Agent, port: number, s: Scenario): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: s.method, path: s.path, headers: s.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(s.body);
  });
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  let bridge: ChildProcess | undefined;
  const onSignal = (): void => {
    if (bridge && bridge.exitCode === null) bridge.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const calc = await startCalculatorBackend(0);
    cleanups.push(() => calc.close());
    const orders = await startOrdersBackend(0);
    cleanups.push(() => orders.close());
    const inventory = await startInventoryBackend(0);
    cleanups.push(() => inventory.close());
    const calcFront = await faultyFront(calc.port, (_u, b) => CALC_MODES[/<(?:\w+:)?intA>(\d+)</.exec(b)?.[1] ?? '']);
    const ordersFront = await faultyFront(orders.port, (_u, b) => tokenMode(b));
    const invFront = await faultyFront(inventory.port, (u) => tokenMode(u));
    cleanups.push(() => calcFront.close(), () => ordersFront.close(), () => invFront.close());
    const dir = servicesDir({ calculator: calcFront.port, orders: ordersFront.port, inventory: invFront.port });
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));

    const port = await freePort();
    const heapFlags = opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : [];
    const child = spawn(process.execPath, [...heapFlags, path.join(ROOT, 'dist', 'src', 'cli.js'), 'serve', '--services', dir, '--port', String(port), '--host', '127.0.0.1', '--no-watch'], {
      env: { ...process.env, LOG_LEVEL: 'error', BREAKER_FAILURES: '0', BACKEND_RETRIES: '0', WORKERS: '1', SHUTDOWN_GRACE_MS: '2000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    bridge = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    cleanups.push(() => stopChild(child, 5000));
    let crashes = 0;
    let stopping = false;
    child.on('exit', (code, sig) => {
      if (!stopping) {
        crashes++;
        log(`bridge exited (code ${code}, signal ${sig}): ${stderr}`);
      }
    });
    await waitUp(port, child, 30_000);
    log(`bridge pid ${child.pid} on 127.0.0.1:${port}; ${opts.connections} connections for ${opts.seconds} s`);

    const all = scenarios();
    const totalWeight = all.reduce((a, s) => a + s.weight, 0);
    const pick = (): Scenario => {
      let x = Math.random() * totalWeight;
      for (const s of all) if ((x -= s.weight) < 0) return s;
      return all[all.length - 1];
    };
    const outcomes: Record<string, number> = {};
    const unexpectedSamples: string[] = [];
    let sent = 0;
    let answered = 0;
    let unexpected = 0;
    const latencies: number[] = [];
    const rss: [number, number][] = [];
    const started = Date.now();
    rss.push([0, rssMb(child.pid!)]);
    const sampler = setInterval(() => rss.push([(Date.now() - started) / 1000, rssMb(child.pid!)]), 1000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
    const deadline = started + opts.seconds * 1000;
    const worker = async (): Promise<void> => {
      while (Date.now() < deadline && crashes === 0) {
        const s = pick();
        sent++;
        const t0 = performance.now();
        let why: string | undefined;
        try {
          const r = await send(agent, port, s);
          answered++;
          latencies.push(performance.now() - t0);
          why = s.check(r);
        } catch (e) {
          why = `no answer: ${(e as Error).message}`;
        }
        const key = why ? `UNEXPECTED ${s.name}` : s.name;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        if (why) {
          unexpected++;
          if (unexpectedSamples.length < 10) unexpectedSamples.push(`${s.name}: ${why}`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, worker));
    clearInterval(sampler);
    rss.push([(Date.now() - started) / 1000, rssMb(child.pid!)]);
    agent.destroy();
    stopping = true;

    const half = rss.filter(([t]) => t >= opts.seconds / 2);
    const slopeMbPerMin = slope(half) * 60;
    const sorted = latencies.sort((a, b) => a - b);
    const live = rss.map(([, m]) => m).filter((m) => m > 0);
    return {
      seconds: opts.seconds,
      connections: opts.connections,
      heapMb: opts.heapMb ?? 0,
      sent,
      answered,
      outcomes,
      unexpected,
      unexpectedSamples,
      crashes,
      rssStartMb: rss[0][1],
      rssEndMb: rss[rss.length - 1][1],
      rssMaxMb: Math.max(...live),
      rssSlopeMbPerMin: slopeMbPerMin,
      rssTrend: slopeMbPerMin > opts.maxSlopeMbPerMin,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

function format(r: SoakReport): string {
  const lines = [
    `soak: ${r.seconds} s, ${r.connections} connections, bridge heap cap ${r.heapMb ? `${r.heapMb} MB` : 'none'}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    `requests sent ${r.sent}, answered ${r.answered}`,
    ...Object.entries(r.outcomes)
      .sort()
      .map(([k, n]) => `  ${k.padEnd(48)} ${n}`),
    `unexpected outcomes ${r.unexpected}${r.unexpectedSamples.length ? `\n  ${r.unexpectedSamples.join('\n  ')}` : ''}`,
    `crashes ${r.crashes}`,
    `RSS MB: start ${r.rssStartMb.toFixed(1)}, end ${r.rssEndMb.toFixed(1)}, max ${r.rssMaxMb.toFixed(1)}, slope over the second half ${r.rssSlopeMbPerMin.toFixed(2)} MB/min${r.rssTrend ? '  <-- TREND' : ''}`,
    `latency ms: p50 ${r.p50.toFixed(1)}, p99 ${r.p99.toFixed(1)}`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    const v = i >= 0 ? Number(args[i + 1]) : dflt;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  const seconds = Math.min(arg("--seconds", 90), 100);
  const report = await runSoak({
    seconds,
    connections: arg('--connections', 16),
    maxSlopeMbPerMin: arg('--max-slope', 10),
    heapMb: args.includes('--heap-mb') && Number(args[args.indexOf('--heap-mb') + 1]) === 0 ? 0 : arg('--heap-mb', 64),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(format(report) + '\n');
  process.exitCode = report.unexpected || report.crashes || report.rssTrend ? 1 : 0;
}

if (require.main === module) {
  const guard = setTimeout(() => {
    process.stderr.write('soak: over the 2-minute bound\n');
    process.exit(2);
  }, 120_000);
  guard.unref();
  main().catch((e: Error) => {
    process.stderr.write(`soak: ${e.message}\n`);
    process.exit(2);
  });
}
