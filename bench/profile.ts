/**
 * `npm run bench:profile -- [Add|GetOrders]`: runs soap-bridge under load with --cpu-prof and
 * prints where the time goes (self time by function, and by file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drive, post, startTarget, stopAll, stopTarget } from './harness';
import { prepare } from './scenarios';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summarize(file: string, top: number): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const total = profile.samples.length;
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 6) : url || '(native)';
    const fn = `${n.callFrame.functionName || '(anonymous)'}  ${where}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const group = where.startsWith('node:') ? where : where.split('/').slice(0, where.includes('node_modules') ? 1 : 3).join('/');
    byFile.set(group, (byFile.get(group) ?? 0) + hits);
  }
  const show = (m: Map<string, number>, n: number): void => {
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((v * 100) / total).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(`\nself time by function (${total} samples):`);
  show(byFn, top);
  console.log('\nself time by module:');
  show(byFile, 15);
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'GetOrders';
  const prepared = await prepare();
  const scenario = prepared.scenarios.find((s) => s.name === which);
  if (!scenario) throw new Error(`no scenario ${which}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-prof-'));
  const mock = await startTarget('mock', 'mock-backend', { MOCK_REPLIES: prepared.repliesFile });
  const bridge = await startTarget('soap-bridge', 'soap-bridge', { BACKEND_URL: `http://127.0.0.1:${mock.port}/soap` }, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const first = await post(bridge.port, scenario.json);
  await drive(bridge, scenario.json, { connections: 32, seconds: 2, expectBody: first.body });
  const r = await drive(bridge, scenario.json, { connections: 32, seconds: 8, expectBody: first.body });
  console.log(`${which}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}`);
  await stopTarget(bridge);
  await stopTarget(mock);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  summarize(path.join(dir, file), Number(process.argv[3] ?? 25));
}

main().catch((e: Error) => {
  console.error(`profile: ${e.message}`);
  stopAll();
  process.exit(2);
});
