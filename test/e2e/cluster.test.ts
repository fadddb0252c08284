/**
 * `--workers N`: the demo under node:cluster. Workers share the port, /metrics sums them, a
 * worker that dies is replaced, SIGTERM stops everything with exit code 0.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { freePort, postJson, request } from '../support/bridge';
import { spawnCli } from '../support/child';
import { ROOT } from '../support/compile';


function workersOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('serve --workers 2 (node:cluster)', function () {
  this.timeout(60000);
  let child: ChildProcess;
  let url: string;
  let output = '';

  before(async function () {
    if (!fs.existsSync('/proc/self/task')) this.skip();
    const [port, calc, orders, inventory] = [await freePort(), await freePort(), await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    // Through spawnCli, so that the secrets guard reads the output too.
    child = spawnCli(['--workers', '2', '--port', String(port), '--host', '127.0.0.1'], {
      script: path.join(ROOT, 'dist', 'fixtures', 'demo', 'start.js'),
      cwd: ROOT,
      env: { LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '2000', DEMO_CALCULATOR_PORT: String(calc), DEMO_ORDERS_PORT: String(orders), DEMO_INVENTORY_PORT: String(inventory) },
    }).proc;
    child.stdout!.on('data', (d: string) => (output += d));
    child.stderr!.on('data', (d: string) => (output += d));
    await until('two workers ready', async () => workersOf(child.pid!).length === 2 && (await request(`${url}/readyz`, { timeoutMs: 1000 })).status === 200);
  });

  after(() => {
    if (child && child.exitCode === null) {
      for (const w of workersOf(child.pid!)) process.kill(w, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });

  it('answers on the shared port from both workers, and /metrics sums the workers', async () => {
    // Batches of new connections: the primary hands connections to the workers in turn.
    for (let batch = 0; batch < 10; batch++) {
      const calls = await Promise.all(Array.from({ length: 10 }, (_, i) => postJson(`${url}/api/calculator/Add`, { intA: batch * 10 + i, intB: 1 })));
      calls.forEach((r, i) => assert.deepEqual(r.json, { AddResult: batch * 10 + i + 1 }, output));
    }
    const m = await request(`${url}/metrics`);
    assert.equal(m.status, 200, m.text);
    assert.match(m.text, /^soap_bridge_requests_total\{service="calculator",operation="Add",status="200"\} 100$/m);
    // The access lines come through the child's stdout: wait (bounded) until all 100 are in.
    const addLines = (): { worker?: unknown }[] =>
      output
        .split('\n')
        .filter((l) => l.includes('"message":"access"') && l.includes('"operation":"Add"'))
        .map((l) => JSON.parse(l) as { worker?: unknown });
    await until('100 access lines', () => addLines().length === 100);
    const served = new Set(addLines().map((l) => l.worker));
    assert.equal(served.size, 2, `both workers answered: ${[...served].join(', ')}`);
  });

  it('replaces a worker that dies', async () => {
    const [first] = workersOf(child.pid!);
    process.kill(first, 'SIGKILL');
    await until('a new worker', () => {
      const now = workersOf(child.pid!);
      return now.length === 2 && !now.includes(first);
    });
    // The primary says so again once the replacement listens too.
    await until('the replacement listening', () => output.split('\n').filter((l) => l.includes('"message":"workers listening"')).length === 2);
    await until('the replacement serving', async () => (await postJson(`${url}/api/calculator/Multiply`, { intA: 6, intB: 7 })).json?.MultiplyResult === 42);
  });

  it('passes SIGHUP on: every worker reloads its bundles, and the primary lives on', async () => {
    const reloadLines = (): { worker?: unknown; service?: unknown }[] =>
      output
        .split('\n')
        .filter((l) => l.includes('"message":"service reloaded"'))
        .map((l) => JSON.parse(l) as { worker?: unknown; service?: unknown });
    const workers = workersOf(child.pid!);
    child.kill('SIGHUP');
    // Each of the two workers reloads the three demo bundles.
    await until('six reload lines', () => reloadLines().length === 6);
    assert.equal(new Set(reloadLines().map((l) => l.worker)).size, 2, output);
    assert.deepEqual(workersOf(child.pid!), workers, 'the primary and its workers live on');
    assert.deepEqual((await postJson(`${url}/api/calculator/Add`, { intA: 2, intB: 3 })).json, { AddResult: 5 });
  });

  it('POST /admin/reload reaches every worker through the primary, and answers for each', async () => {
    const mark = output.length;
    const workers = workersOf(child.pid!);
    const r = await request(`${url}/admin/reload`, { method: 'POST', timeoutMs: 30000 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.bundles.map((b: { folder: string; status: string }) => [b.folder, b.status]), [['calculator', 'unchanged'], ['inventory', 'unchanged'], ['orders', 'unchanged']]);
    assert.equal(r.json.workers.length, 2, r.text);
    assert.deepEqual(r.json.workers.map((w: { pid: number }) => w.pid).sort(), [...workers].sort(), r.text);
    for (const w of r.json.workers) {
      assert.equal(w.error, undefined, r.text);
      assert.equal(w.refused, 0);
      assert.equal(typeof w.generation, 'number');
    }
    const reloadWorkers = (): Set<unknown> =>
      new Set(
        output
          .slice(mark)
          .split('\n')
          .filter((l) => l.includes('"message":"service reloaded"'))
          .map((l) => (JSON.parse(l) as { worker?: unknown }).worker),
      );
    await until('reload lines from both workers', () => reloadWorkers().size === 2);
    assert.deepEqual(workersOf(child.pid!), workers, 'the primary and its workers live on');
  });

  it('stops the workers and exits 0 on SIGTERM', async () => {
    const workers = workersOf(child.pid!);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15000))]);
    assert.equal(code, 0, output);
    for (const w of workers) assert.throws(() => process.kill(w, 0), /ESRCH/);
  });
});
