/**
 * `npm run bench`: soap-bridge against a hand-written Express + node-soap bridge and a
 * byte-forwarding proxy, all on one mock SOAP backend, in interleaved rounds.
 *
 *   npm run bench                       throughput: Add and a 50-order GetOrders (default)
 *   npm run bench -- --rounds 5 --seconds 8 --connections 32
 */
import os from 'node:os';
import path from 'node:path';
import { combine, drive, mb, post, ROOT, startTarget, stopAll, stopTarget, table, type HttpCall, type RunResult, type Target } from './harness';
import { prepare } from './scenarios';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const TARGETS = {
  bridge: 'soap-bridge',
  soap: 'node-soap bridge',
  proxy: 'pass-through',
} as const;

async function main(): Promise<void> {
  const rounds = arg('rounds', 3);
  const seconds = arg('seconds', 6);
  const connections = arg('connections', 32);
  const started = Date.now();
  console.log(`soap-bridge benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${mb(os.totalmem())} MB, Node ${process.version}`);
  console.log(`${connections} connections, ${rounds} interleaved rounds of ${seconds} s per target and scenario, loopback\n`);

  const prepared = await prepare();
  const mock = await startTarget('mock backend', 'mock-backend', { MOCK_REPLIES: prepared.repliesFile });
  const backend = `http://127.0.0.1:${mock.port}/soap`;
  const targets: Target[] = [
    await startTarget(TARGETS.proxy, 'proxy', { BACKEND_URL: backend }),
    await startTarget(TARGETS.soap, 'node-soap-bridge', {
      BACKEND_URL: backend,
      CALCULATOR_WSDL: path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'),
      ORDERS_WSDL: path.join(ROOT, 'wsdl', 'orders', 'orders.wsdl'),
    }),
    await startTarget(TARGETS.bridge, 'soap-bridge', { BACKEND_URL: backend }),
  ];

  // What each target is sent, and the answer every reply must equal.
  const plan = new Map<string, { call: HttpCall; expect: string }>();
  for (const s of prepared.scenarios) {
    for (const t of targets) {
      const call = t.name === TARGETS.proxy ? s.soap : s.json;
      const first = await post(t.port, call);
      if (first.status !== 200) throw new Error(`${t.name} ${s.name}: HTTP ${first.status} ${first.body.slice(0, 300)}`);
      if (t.name !== TARGETS.proxy) {
        const problem = s.check(JSON.parse(first.body));
        if (problem) throw new Error(`${t.name} ${s.name}: ${problem}`);
      }
      plan.set(`${s.name}/${t.name}`, { call, expect: first.body });
      await drive(t, call, { connections, seconds: 2, expectBody: first.body }); // warm-up
    }
  }

  const runs = new Map<string, RunResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const s of prepared.scenarios) {
      for (const t of targets) {
        const key = `${s.name}/${t.name}`;
        const p = plan.get(key)!;
        const result = await drive(t, p.call, { connections, seconds, expectBody: p.expect });
        runs.set(key, [...(runs.get(key) ?? []), result]);
      }
    }
  }

  const rows: (string | number)[][] = [];
  const results = new Map<string, RunResult>();
  for (const s of prepared.scenarios) {
    for (const t of targets) {
      const key = `${s.name}/${t.name}`;
      const c = combine(runs.get(key)!);
      results.set(key, c);
      rows.push([s.name, t.name, Math.round(c.rps), c.p50.toFixed(1), c.p99.toFixed(1), mb(c.peakRss), c.errors]);
    }
  }
  console.log(table(['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'errors'], rows));
  const orders = prepared.scenarios[1];
  console.log(`\nGetOrders reply: ${(orders.replyBytes / 1024).toFixed(1)} KiB of SOAP, ${(Buffer.byteLength(plan.get(`GetOrders/${TARGETS.bridge}`)!.expect) / 1024).toFixed(1)} KiB of JSON from soap-bridge\n`);

  const get = (s: string, t: string): RunResult => results.get(`${s}/${t}`)!;
  const checks: [string, number, string, number][] = [];
  const ratio = (a: number, b: number): number => a / b;
  checks.push(['Add: soap-bridge / node-soap req/s', ratio(get('Add', TARGETS.bridge).rps, get('Add', TARGETS.soap).rps), '>=', 5]);
  checks.push(['GetOrders: soap-bridge / node-soap req/s', ratio(get('GetOrders', TARGETS.bridge).rps, get('GetOrders', TARGETS.soap).rps), '>=', 8]);
  checks.push(['Add: soap-bridge / pass-through req/s', ratio(get('Add', TARGETS.bridge).rps, get('Add', TARGETS.proxy).rps), '>=', 0.5]);
  checks.push(['GetOrders: soap-bridge / pass-through req/s', ratio(get('GetOrders', TARGETS.bridge).rps, get('GetOrders', TARGETS.proxy).rps), '>=', 0.25]);
  checks.push(['GetOrders: soap-bridge / pass-through p99', ratio(get('GetOrders', TARGETS.bridge).p99, get('GetOrders', TARGETS.proxy).p99), '<=', 4]);
  checks.push(['GetOrders: soap-bridge peak RSS (MB)', get('GetOrders', TARGETS.bridge).peakRss / 1048576, '<=', 150]);
  let ok = true;
  for (const [label, value, op, limit] of checks) {
    const pass = op === '>=' ? value >= limit : value <= limit;
    ok &&= pass;
    console.log(`${pass ? 'PASS' : 'FAIL'}  ${label.padEnd(46)} ${value.toFixed(2).padStart(8)}  (target ${op} ${limit})`);
  }
  const errors = [...results.values()].reduce((a, r) => a + r.errors, 0);
  if (errors > 0) {
    ok = false;
    console.log(`INVALID: ${errors} responses were errors or differed from the expected body`);
  }
  console.log(`\n${ok ? 'all targets met' : 'some targets missed'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const t of [...targets, mock]) await stopTarget(t);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  stopAll();
  process.exit(2);
});
