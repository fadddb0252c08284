/**
 * `soap-bridge validate`, both forms (CONTRACT §1): exit codes and `file:line:col message` lines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { tempDir, writeBundle } from '../support/bridge';
import { runCli } from '../support/child';
import { ROOT } from '../support/compile';

const CALC = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(args, { cwd: ROOT, env, timeoutMs: 30000 });
}

describe('soap-bridge validate', () => {
  const tmp = tempDir('cli');
  after(() => tmp.remove());

  it('exits 0 on the demo bundles', async () => {
    const r = await run(['validate', '--services', 'wsdl']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wsdl\/calculator: 4 operations\nwsdl\/inventory: 4 operations \(SOAP facade only\)\nwsdl\/orders: 4 operations\nvalid: 0 errors, 0 warnings\n$/);
  });

  it('defaults to ./wsdl', async () => {
    assert.equal((await run(['validate'])).code, 0);
  });

  it('exits 1 and prints file:line:col for a broken WSDL in a bundle', async () => {
    const dir = path.join(tmp.dir, 'broken-wsdl');
    writeBundle(dir, 'calc', { 'calc.wsdl': CALC.replace('<wsdl:types>', '<wsdl:types><oops>') });
    writeBundle(dir, 'good', { 'calc.wsdl': CALC });
    const r = await run(['validate', '--services', dir]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^\S*calc\/calc\.wsdl:\d+:\d+ not well-formed XML: .+/);
    assert.match(r.stderr, /invalid: 1 error/);
  });

  it('reports mapping problems at their YAML position, with a hint for a misspelt key', async () => {
    const dir = path.join(tmp.dir, 'broken-mapping');
    writeBundle(dir, 'calc', { 'calc.wsdl': CALC, 'mapping.yaml': 'name: calc\nsoapbackend: http://127.0.0.1:1/x\ntimeoutMs: -5\n' });
    const r = await run(['validate', '--services', dir]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n').sort();
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0], /calc\/mapping\.yaml:2:1 unknown key `soapbackend` \(did you mean `soapBackend`\?\)$/);
    assert.match(lines[1], /calc\/mapping\.yaml:3:12 timeoutMs must be >= 1$/);
  });

  it('reports an unset ${VAR} in a mapping, and accepts it once set', async () => {
    const dir = path.join(tmp.dir, 'env-mapping');
    writeBundle(dir, 'calc', { 'calc.wsdl': CALC, 'mapping.yaml': 'soapBackend: http://127.0.0.1:${CALC_PORT}/calculator\n' });
    const r = await run(['validate', '--services', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /calc\/mapping\.yaml:1:14 soapBackend: environment variable CALC_PORT is not set/);
    assert.equal((await run(['validate', '--services', dir], { CALC_PORT: '9001' })).code, 0);
  });

  it('checks WSDL files given as arguments, each as a bundle with the default mapping', async () => {
    const ok = await run(['validate', 'wsdl/calculator/calculator.wsdl', 'fixtures/golden/rpc/rpc.wsdl', 'fixtures/golden/bare/bare.wsdl']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stderr, /fixtures\/golden\/bare\/bare\.wsdl: 2 operations/);
    const broken = path.join(tmp.dir, 'broken.wsdl');
    fs.writeFileSync(broken, CALC.replace('type="tns:Operands"/>\n      <xs:element name="AddResponse">', 'type="tns:Nope"/>\n      <xs:element name="AddResponse">'));
    const r = await run(['validate', 'wsdl/orders/orders.wsdl', broken]);
    assert.equal(r.code, 0, 'an undefined type is a warning');
    assert.match(r.stdout, /broken\.wsdl:\d+:\d+ warning: type \{urn:soap-bridge:demo:calculator\}Nope is not defined; element Add is read as xs:anyType\n/);
    const strict = await run(['validate', '--strict', broken]);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /broken\.wsdl:\d+:\d+ type \{urn:soap-bridge:demo:calculator\}Nope is not defined; element Add is read as xs:anyType\n/);
    const disabled = path.join(tmp.dir, 'disabled.wsdl');
    fs.writeFileSync(disabled, CALC.replace('<xs:element name="Add" type="tns:Operands"/>', '<xs:element name="Add"><xs:complexType><xs:sequence><xs:element name="a" type="xs:int" maxOccurs="-1"/></xs:sequence></xs:complexType></xs:element>'));
    const d = await run(['validate', disabled]);
    assert.equal(d.code, 0, 'one disabled operation is a warning');
    assert.match(d.stdout, /disabled\.wsdl:\d+:\d+ warning: operation Add is disabled: invalid maxOccurs "-1"/);
    assert.equal((await run(['validate', '--strict', disabled])).code, 1);
    const missing = await run(['validate', path.join(tmp.dir, 'missing.wsdl')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /missing\.wsdl:1:1 cannot read/);
  });

  it('answers --help and refuses unknown commands', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /validate/);
    assert.notEqual((await run(['frobnicate'])).code, 0);
  });

  it('serve refuses bad configuration with a clear message and exit code 2', async () => {
    const r = await run(['serve', '--port', 'eighty']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port must be an integer from 0 to 65535, got "eighty"/);
  });
});
