/**
 * `npm run bench -- --mode payload`: replies from about 1 KB to 10 MB (GetOrders with more and
 * more orders). For each size: latency one request at a time (time per KiB, which should stay
 * flat: cost linear in size), and the peak memory with 8 requests in flight (memory per
 * request as a multiple of the reply).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drive, freePort, post, rssOf, startTarget, stopTarget, table } from './harness';
import { prepare } from './scenarios';

const SIZES_KB = [1, 10, 100, 1024, 10240];
const IN_FLIGHT = 8;


/** The 50-order reply grown (or cut) to `n` orders. */
function withOrders(reply: string, n: number): string {
  const first = reply.indexOf('<order');
  const countAt = reply.lastIndexOf('<count>');
  const orders = reply.slice(first, countAt);
  const each: string[] = orders.split(/(?=<order[ >])/).filter(Boolean);
  let body = '';
  for (let i = 0; i < n; i++) body += each[i % each.length];
  return reply.slice(0, first) + body + reply.slice(countAt).replace(/<count>\d+<\/count>/, `<count>${n}</count>`);
}

export async function payloadMode(): Promise<boolean> {
  const prepared = await prepare();
  const [action, base] = Object.entries(prepared.replies).find(([, r]) => r.body.includes('<order'))!;
  const perOrder = (Buffer.byteLength(base.body) - Buffer.byteLength(withOrders(base.body, 0))) / 50;
  const scenario = prepared.scenarios.find((s) => s.name === 'GetOrders')!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-payload-'));
  const mockPort = await freePort();
  const bridge = await startTarget('soap-bridge', 'soap-bridge', { BACKEND_URL: `http://127.0.0.1:${mockPort}/soap`, MAX_BODY_BYTES: String(64 * 1048576), BACKEND_TIMEOUT_MS: '120000' });
  const rows: (string | number)[][] = [];
  const perKb: number[] = [];
  const multiples: number[] = [];
  try {
    for (const kb of SIZES_KB) {
      const n = Math.max(1, Math.round((kb * 1024 - Buffer.byteLength(withOrders(base.body, 0))) / perOrder));
      const body = withOrders(base.body, n);
      const file = path.join(dir, `replies-${kb}.json`);
      fs.writeFileSync(file, JSON.stringify({ [action]: { contentType: base.contentType, body } }));
      const mock = await startTarget('mock', 'mock-backend', { MOCK_REPLIES: file, PORT: String(mockPort) });
      try {
        const call = { ...scenario.json, body: JSON.stringify({ limit: 1 }) };
        const first = await post(bridge.port, call, 120_000);
        const parsed = JSON.parse(first.body) as { order?: unknown[] };
        if (first.status !== 200 || parsed.order?.length !== n) throw new Error(`${kb} KB: HTTP ${first.status}, ${parsed.order?.length} orders`);
        const seconds = kb >= 10240 ? 8 : 4;
        // autocannon miscounts multi-megabyte bodies as mismatches; above 1 MiB the answers are
        // compared here instead, IN_FLIGHT at a time.
        const expectBody = kb < 1024 ? first.body : undefined;
        const serial = await drive(bridge, call, { connections: 1, seconds, expectBody });
        const idle = rssOf(bridge.proc.pid!);
        const loaded = await drive(bridge, call, { connections: IN_FLIGHT, seconds, expectBody });
        if (!expectBody) {
          const again = await Promise.all(Array.from({ length: IN_FLIGHT }, () => post(bridge.port, call, 120_000)));
          const wrong = again.filter((r) => r.status !== 200 || r.body !== first.body).length;
          if (wrong) throw new Error(`${kb} KiB: ${wrong} of ${IN_FLIGHT} concurrent answers differ from the first`);
        }
        const bytes = Buffer.byteLength(body);
        const msPerRequest = (serial.seconds * 1000) / serial.requests;
        // The bridge's own CPU time per request: the load generator and the mock run on the same cores.
        const cpuPerRequest = serial.cpuMs / serial.requests;
        const usPerKb = (cpuPerRequest * 1000) / (bytes / 1024);
        if (serial.errorKinds || loaded.errorKinds) console.log(`${kb} KiB: ${serial.errorKinds ?? ''} ${loaded.errorKinds ?? ''}`);
        const perRequest = Math.max(0, loaded.peakRss - idle) / IN_FLIGHT;
        if (kb >= 100) perKb.push(usPerKb);
        if (kb >= 1024) multiples.push(perRequest / bytes);
        rows.push([
          (bytes / 1024).toFixed(1),
          n,
          (Buffer.byteLength(first.body) / 1024).toFixed(1),
          msPerRequest.toFixed(2),
          cpuPerRequest.toFixed(2),
          usPerKb.toFixed(1),
          Math.round(loaded.rps),
          (loaded.peakRss / 1048576).toFixed(0),
          (perRequest / 1048576).toFixed(1),
          (perRequest / bytes).toFixed(1),
          serial.errors + loaded.errors,
        ]);
      } finally {
        await stopTarget(mock);
      }
    }
  } finally {
    await stopTarget(bridge);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`one request at a time for the latency, ${IN_FLIGHT} in flight for the memory\n`);
  console.log(table(['SOAP KiB', 'orders', 'JSON KiB', 'latency ms', 'CPU ms', 'CPU µs/KiB', `req/s (${IN_FLIGHT})`, 'peak RSS MB', 'MB/request', '× reply', 'errors'], rows));
  const flat = Math.max(...perKb) / Math.min(...perKb);
  const worst = Math.max(...multiples);
  console.log(`\nCPU time per KiB from 100 KiB to 10 MiB varies by ${flat.toFixed(2)}× (linear cost: ≤ 1.5×)`);
  console.log(`memory per in-flight request at 1 MiB and 10 MiB: at most ${worst.toFixed(1)}× the reply (small multiple: ≤ 10×)`);
  const errors = rows.reduce((a, r) => a + Number(r[10]), 0);
  return flat <= 1.5 && worst <= 10 && errors === 0;
}
