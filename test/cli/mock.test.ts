/**
 * `soap-bridge mock` as a command, in a child process: it listens where it is told (loopback,
 * a free port), answers every operation, serves ?wsdl, and stops cleanly with exit 0 on SIGTERM
 * and SIGINT; bad fixtures stop it at start-up with file:line:col lines and exit 2.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileFixture, decodeEnvelope, ROOT } from '../support/compile';
import { freePort, request, tempDir } from '../support/bridge';
import { runCli, spawnCli, type CliChild } from '../support/child';
import { requestHeaders } from '../../src/soap/envelope';


type Child = CliChild;

function start(args: string[]): Child {
  return spawnCli(['mock', ...args]);
}

/** Waits (bounded) for the "mock listening" line and returns its fields. */
async function listening(c: Child, ms = 15000): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const line of c.stdout.join('').split('\n')) {
      if (!line.includes('"mock listening"')) continue;
      return JSON.parse(line) as Record<string, unknown>;
    }
    if (c.proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the mock did not start: ${c.stderr.join('')}${c.stdout.join('')}`);
}

async function stopped(c: Child, ms = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the mock did not stop in time')), ms);
  });
  try {
    return await Promise.race([c.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('soap-bridge mock (command)', function () {
  this.timeout(60000);
  const children: Child[] = [];
  const tmp = tempDir('mock-cli');

  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => stopped(c).catch(() => undefined)));
    tmp.remove();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves every operation of the calculator on 127.0.0.1 and exits 0 on ${signal}`, async () => {
      const port = await freePort();
      const c = start([path.join('wsdl', 'calculator', 'calculator.wsdl'), '--port', String(port), '--host', '127.0.0.1']);
      children.push(c);
      const line = await listening(c);
      assert.equal(line.url, `http://127.0.0.1:${port}`);
      assert.equal(line.operations, 4);
      assert.deepEqual(line.soapVersions, ['1.1', '1.2']);
      const bundle = compileFixture(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'));
      for (const byKey of bundle.soapOperations.values()) {
        for (const [op] of byKey.values()) {
          const r = await request(`http://127.0.0.1:${port}/calculator`, { method: 'POST', headers: requestHeaders(op.soapVersion, op.soapAction), body: op.encodeRequest({ intA: 7, intB: 2 }) });
          assert.equal(r.status, 200, r.text);
          const d = decodeEnvelope(op, r.text);
          assert.deepEqual(d.errors, []);
          assert.equal(op.validateOutput(d.value), undefined);
        }
      }
      const wsdl = await request(`http://127.0.0.1:${port}/calculator?wsdl`);
      assert.ok(wsdl.text.includes(`location="http://127.0.0.1:${port}/calculator"`));
      c.proc.kill(signal);
      const exit = await stopped(c);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(c.stdout.join(''), /"message":"stopped"/);
    });
  }

  it('uses a fixture given with --fixtures', async () => {
    const dir = path.join(tmp.dir, 'fixtures');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'Multiply.json'), '{"MultiplyResult": -6}');
    const port = await freePort();
    const c = start([path.join('wsdl', 'calculator', 'calculator.wsdl'), '--port', String(port), '--host', '127.0.0.1', '--fixtures', dir]);
    children.push(c);
    const line = await listening(c);
    assert.equal(line.fixtures, 1);
    const bundle = compileFixture(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'));
    const op = bundle.operations.get('Multiply')!;
    const r = await request(`http://127.0.0.1:${port}/`, { method: 'POST', headers: requestHeaders(op.soapVersion, op.soapAction), body: op.encodeRequest({ intA: 2, intB: 3 }) });
    assert.deepEqual(decodeEnvelope(op, r.text).value, { MultiplyResult: -6 });
    c.proc.kill('SIGTERM');
    assert.equal((await stopped(c)).code, 0);
  });

  it('refuses a fixture that breaks the schema: file:line:col on stderr, exit 2, nothing listening', async () => {
    const dir = path.join(tmp.dir, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'Add.json'), '{\n  "AddResult": "five"\n}\n');
    const r = await runCli(['mock', path.join('wsdl', 'calculator', 'calculator.wsdl'), '--port', '0', '--fixtures', dir], { cwd: ROOT, timeoutMs: 30000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Add\.json:2:16 \/AddResult must be an integer \(output of Add, SOAP 1\.1\)\n/);
    assert.match(r.stderr, /soap-bridge mock: .*the mock cannot start \(1 error\)\n$/);
    assert.doesNotMatch(r.stdout, /mock listening/);
  });

  it('refuses a WSDL that does not load, with its diagnostics, exit 2', async () => {
    const r = await runCli(['mock', path.join(tmp.dir, 'nope.wsdl'), '--port', '0'], { cwd: ROOT, timeoutMs: 30000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.wsdl:1:1 /);
  });
});
