/**
 * `npm run bench`: soap-bridge measured on loopback against one mock SOAP backend.
 *
 *   npm run bench                          throughput: soap-bridge vs a hand-written Express +
 *                                          node-soap bridge vs a byte-forwarding proxy, Add and
 *                                          a 50-order GetOrders, interleaved rounds, targets checked
 *   npm run bench -- --mode payload        replies of 1 KB to 10 MB: time per KB, memory per request
 *   npm run bench -- --mode workers        --workers 1 vs 2
 *   npm run bench -- --mode metrics        METRICS on vs off
 *   npm run bench -- --mode exchanges      recent exchanges for the console recorded (EXCHANGES_PER_OPERATION=20) vs off (0)
 *   options: --rounds N --seconds N --connections N
 */
import os from 'node:os';
import path from 'node:path';
import { combine, drive, freePort, mb, post, ROOT, startTarget, stopAll, stopTarget, table, type HttpCall, type RunResult, type Target } from './harness';
import { payloadMode } from './payload';
import { prepare, type Scenario } from './scenarios';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function mode(): string {
  const i = process.argv.indexOf('--mode');
  return i >= 0 ? process.argv[i + 1] : 'throughput';
}

const BRIDGE = 'soap-bridge';
const NODE_SOAP = 'node-soap bridge';
const PROXY = 'pass-through';


interface Plan {
  call: HttpCall;
  expect: string;
}

/** First request of every target and scenario, checked; then a warm-up run. */
async function planRuns(targets: Target[], scenarios: Scenario[], connections: number, soapTargets: Set<string>): Promise<Map<string, Plan>> {
  const plan = new Map<string, Plan>();
  for (const s of scenarios) {
    for (const t of targets) {
      const call = soapTargets.has(t.name) ? s.soap : s.json;
      const first = await post(t.port, call);
      if (first.status !== 200) throw new Error(`${t.name} ${s.name}: HTTP ${first.status} ${first.body.slice(0, 300)}`);
      if (!soapTargets.has(t.name)) {
        const problem = s.check(JSON.parse(first.body));
        if (problem) throw new Error(`${t.name} ${s.name}: ${problem}`);
      }
      plan.set(`${s.name}/${t.name}`, { call, expect: first.body });
      await drive(t, call, { connections, seconds: 2, expectBody: first.body });
    }
  }
  return plan;
}

/** Rounds of (scenario × target), interleaved, combined per target and scenario. */
async function interleave(targets: Target[], scenarios: Scenario[], plan: Map<string, Plan>, rounds: number, seconds: number, connections: number): Promise<Map<string, RunResult>> {
  const runs = new Map<string, RunResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const s of scenarios) {
      for (const t of targets) {
        const key = `${s.name}/${t.name}`;
        const p = plan.get(key)!;
        const result = await drive(t, p.call, { connections, seconds, expectBody: p.expect });
        runs.set(key, [...(runs.get(key) ?? []), result]);
      }
    }
  }
  const out = new Map<string, RunResult>();
  for (const [k, v] of runs) out.set(k, combine(v));
  return out;
}

function printResults(targets: Target[], scenarios: Scenario[], results: Map<string, RunResult>): void {
  const rows: (string | number)[][] = [];
  for (const s of scenarios) {
    for (const t of targets) {
      const c = results.get(`${s.name}/${t.name}`)!;
      rows.push([s.name, t.name, Math.round(c.rps), c.p50.toFixed(1), c.p99.toFixed(1), (c.cpuMs / c.requests).toFixed(2), mb(c.peakRss), c.errors]);
    }
  }
  console.log(table(['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'peak RSS MB', 'errors'], rows));
}

function verdicts(checks: [string, number, '>=' | '<=', number][], results: Map<string, RunResult>): boolean {
  let ok = true;
  for (const [label, value, op, limit] of checks) {
    const pass = op === '>=' ? value >= limit : value <= limit;
    ok &&= pass;
    console.log(`${pass ? 'PASS' : 'FAIL'}  ${label.padEnd(46)} ${value.toFixed(2).padStart(8)}  (target ${op} ${limit})`);
  }
  const errors = [...results.values()].reduce((a, r) => a + r.errors, 0);
  if (errors > 0) {
    console.log(`INVALID: ${errors} responses were errors or differed from the expected body`);
    return false;
  }
  return ok;
}

async function throughput(rounds: number, seconds: number, connections: number): Promise<boolean> {
  const prepared = await prepare();
  const mock = await startTarget('mock backend', 'mock-backend', { MOCK_REPLIES: prepared.repliesFile });
  const backend = `http://127.0.0.1:${mock.port}/soap`;
  const targets = [
    await startTarget(PROXY, 'proxy', { BACKEND_URL: backend }),
    await startTarget(NODE_SOAP, 'node-soap-bridge', {
      BACKEND_URL: backend,
      CALCULATOR_WSDL: path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'),
      ORDERS_WSDL: path.join(ROOT, 'wsdl', 'orders', 'orders.wsdl'),
    }),
    await startTarget(BRIDGE, 'soap-bridge', { BACKEND_URL: backend }),
  ];
  const plan = await planRuns(targets, prepared.scenarios, connections, new Set([PROXY]));
  const results = await interleave(targets, prepared.scenarios, plan, rounds, seconds, connections);
  printResults(targets, prepared.scenarios, results);
  const orders = prepared.scenarios[1];
  console.log(`\nGetOrders reply: ${(orders.replyBytes / 1024).toFixed(1)} KiB of SOAP, ${(Buffer.byteLength(plan.get(`GetOrders/${BRIDGE}`)!.expect) / 1024).toFixed(1)} KiB of JSON from soap-bridge\n`);
  const get = (s: string, t: string): RunResult => results.get(`${s}/${t}`)!;
  const ok = verdicts(
    [
      ['Add: soap-bridge / node-soap req/s', get('Add', BRIDGE).rps / get('Add', NODE_SOAP).rps, '>=', 5],
      ['GetOrders: soap-bridge / node-soap req/s', get('GetOrders', BRIDGE).rps / get('GetOrders', NODE_SOAP).rps, '>=', 8],
      ['Add: soap-bridge / pass-through req/s', get('Add', BRIDGE).rps / get('Add', PROXY).rps, '>=', 0.5],
      ['GetOrders: soap-bridge / pass-through req/s', get('GetOrders', BRIDGE).rps / get('GetOrders', PROXY).rps, '>=', 0.25],
      ['GetOrders: soap-bridge / pass-through p99', get('GetOrders', BRIDGE).p99 / get('GetOrders', PROXY).p99, '<=', 4],
      ['GetOrders: soap-bridge peak RSS (MB)', get('GetOrders', BRIDGE).peakRss / 1048576, '<=', 150],
    ],
    results,
  );
  for (const t of [...targets, mock]) await stopTarget(t);
  return ok;
}

/** Two configurations of soap-bridge against each other, interleaved. */
async function compareBridges(a: { name: string; env: Record<string, string> }, b: { name: string; env: Record<string, string> }, rounds: number, seconds: number, connections: number): Promise<Map<string, RunResult> & { scenarios?: Scenario[] }> {
  const prepared = await prepare();
  const mock = await startTarget('mock backend', 'mock-backend', { MOCK_REPLIES: prepared.repliesFile });
  const backend = `http://127.0.0.1:${mock.port}/soap`;
  const targets: Target[] = [];
  for (const c of [a, b]) targets.push(await startTarget(c.name, 'soap-bridge', { BACKEND_URL: backend, PORT: String(await freePort()), ...c.env }));
  const plan = await planRuns(targets, prepared.scenarios, connections, new Set());
  const results = await interleave(targets, prepared.scenarios, plan, rounds, seconds, connections);
  printResults(targets, prepared.scenarios, results);
  for (const t of [...targets, mock]) await stopTarget(t);
  return Object.assign(results, { scenarios: prepared.scenarios });
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 3);
  const seconds = arg('seconds', 6);
  const connections = arg('connections', 32);
  const started = Date.now();
  const m = mode();
  console.log(`soap-bridge benchmark (${m}): ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${mb(os.totalmem())} MB, Node ${process.version}`);
  let ok = true;
  if (m === 'throughput') {
    console.log(`${connections} connections, ${rounds} interleaved rounds of ${seconds} s per target and scenario, loopback\n`);
    ok = await throughput(rounds, seconds, connections);
  } else if (m === 'workers' || m === 'metrics' || m === 'exchanges') {
    console.log(`${connections} connections, ${rounds} interleaved rounds of ${seconds} s per configuration and scenario\n`);
    const [a, b] =
      m === 'workers'
        ? [{ name: 'workers=1', env: { WORKERS: '1' } }, { name: 'workers=2', env: { WORKERS: '2' } }]
        : m === 'metrics'
          ? [{ name: 'metrics on', env: { METRICS: 'true' } }, { name: 'metrics off', env: { METRICS: 'false' } }]
          : [{ name: 'recording on', env: { EXCHANGES_PER_OPERATION: '20' } }, { name: 'recording off', env: { EXCHANGES_PER_OPERATION: '0' } }];
    const results = await compareBridges(a, b, rounds, seconds, connections);
    console.log('');
    for (const s of results.scenarios ?? []) {
      const ra = results.get(`${s.name}/${a.name}`)!;
      const rb = results.get(`${s.name}/${b.name}`)!;
      if (m === 'workers') console.log(`${s.name}: 2 workers serve ${(rb.rps / ra.rps).toFixed(2)}× the requests of 1`);
      else {
        // CPU per request is the steadier measure on a shared machine; throughput is shown too.
        const cpuA = ra.cpuMs / ra.requests;
        const cpuB = rb.cpuMs / rb.requests;
        console.log(`${s.name}: ${m === 'metrics' ? 'metrics' : 'recording exchanges'} cost ${(((cpuA - cpuB) / cpuB) * 100).toFixed(1)}% CPU per request, ${(((rb.rps - ra.rps) / rb.rps) * 100).toFixed(1)}% of throughput`);
      }
    }
  } else if (m === 'payload') {
    ok = await payloadMode();
  } else throw new Error(`unknown mode ${m} (throughput, payload, workers, metrics, exchanges)`);
  console.log(`\n${ok ? 'done' : 'some targets missed'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  stopAll();
  process.exit(2);
});
