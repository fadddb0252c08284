/**
 * `soap-bridge openapi [--services DIR | FILE.wsdl…]` (CONTRACT §1): the document on stdout, the
 * same one `GET /openapi.json` serves; diagnostics as file:line:col on stderr; exit 1 when a
 * bundle does not load.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { request, startBridge, tempDir, writeBundle } from '../support/bridge';
import { runCli } from '../support/child';
import { ROOT } from '../support/compile';

const CALC = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(args, { cwd: ROOT, env, timeoutMs: 30000 });
}

describe('soap-bridge openapi', function () {
  this.timeout(30000);
  const tmp = tempDir('cli-openapi');
  after(() => tmp.remove());

  it('prints the document of ./wsdl, pretty, exactly what GET /openapi.json serves but for servers', async () => {
    const r = await run(['openapi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^\{\n {2}"openapi": "3\.1\.0",\n/);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(printed.servers, [{ url: '/', description: 'the bridge serving this document' }]);
    const bridge = await startBridge(path.join(ROOT, 'wsdl'));
    try {
      const served = (await request(`${bridge.url}/openapi.json`)).json as Record<string, unknown>;
      assert.deepEqual(served.servers, [{ url: bridge.url, description: 'this bridge' }]);
      assert.deepEqual({ ...served, servers: printed.servers }, printed);
    } finally {
      await bridge.close();
    }
  });

  it('reads --services and SERVICES_DIR', async () => {
    const dir = path.join(tmp.dir, 'services');
    writeBundle(dir, 'calc', { 'calc.wsdl': CALC, 'mapping.yaml': 'name: abacus\n' });
    for (const r of [(await run(['openapi', '--services', dir])), (await run(['openapi'], { SERVICES_DIR: dir }))]) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout).paths), ['/api/abacus/Add', '/api/abacus/Subtract', '/api/abacus/Multiply', '/api/abacus/Divide']);
    }
  });

  it('describes WSDL files given as arguments, each a bundle named after its file', async () => {
    const a = path.join(tmp.dir, 'files', 'one.wsdl');
    const b = path.join(tmp.dir, 'files', 'two.wsdl');
    fs.mkdirSync(path.dirname(a), { recursive: true });
    fs.writeFileSync(a, CALC);
    fs.writeFileSync(b, CALC);
    const r = await run(['openapi', a, b]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.tags.map((t: { name: string }) => t.name), ['one', 'two']);
    assert.ok(doc.components.schemas['one.Operands'] && doc.components.schemas['two.Operands']);
  });

  it('exits 1 with file:line:col on stderr and nothing on stdout when a bundle does not load', async () => {
    const dir = path.join(tmp.dir, 'broken');
    writeBundle(dir, 'calc', { 'calc.wsdl': CALC.replace('<wsdl:types>', '<wsdl:types><oops>') });
    writeBundle(dir, 'good', { 'calc.wsdl': CALC });
    const r = await run(['openapi', '--services', dir]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^\S*calc\/calc\.wsdl:\d+:\d+ not well-formed XML: .+\nopenapi: 1 error; no document written\n$/);
    const missing = await run(['openapi', path.join(tmp.dir, 'nope.wsdl')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.wsdl:1:1 /);
  });

  it('refuses two files that would be one service', async () => {
    const files = ['here', 'elsewhere'].map((d) => path.join(tmp.dir, d, 'one.wsdl'));
    for (const f of files) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, CALC);
    }
    const r = await run(['openapi', ...files]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /one\.wsdl:1:1 service name "one" is already used by /);
  });
});
