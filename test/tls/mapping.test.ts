/**
 * The mapping key `tls` at load time: every file problem is an error at the YAML position of the
 * key it is about (file:line:col), a client certificate that has expired or expires soon and a
 * `tls` that an http:// backend cannot use are warnings, and the files read join the bundle's
 * files (hashed and watched for hot reload). Certificates are made by the openssl CLI.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'mocha';
import { compileBundleDir, type BundleResult } from '../../src/compile';
import { Diagnostics, formatDiagnostic, type Diagnostic } from '../../src/compile/diagnostics';
import { hashFiles } from '../../src/reload/reloader';
import { compileTls } from '../../src/tls/outbound';
import { tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';
import { makePki, requireOpenssl, type TestPki } from '../support/tls-certs';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const ENV = { SB_TEST_TLS_PASSPHRASE: TEST_SECRETS.tlsPassphrase, SB_TEST_WRONG_PASSPHRASE: 'not-the-passphrase' };

describe('mapping key tls: load-time checks', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let n = 0;

  before(function () {
    requireOpenssl(this, 'the tls mapping tests');
    tmp = tempDir('tls-map');
    const dir = path.join(tmp.dir, 'pki');
    fs.mkdirSync(dir);
    pki = makePki(dir);
  });

  after(() => tmp?.remove());

  const pem = (f: string): string => path.join(pki.dir, f);

  /** Compiles a calculator bundle with this mapping text (after `soapBackend`); extra files are written into the bundle. */
  function load(mapping: string, files: Record<string, string> = {}, backend = 'https://127.0.0.1:1/calculator'): { result: BundleResult; file: string; lines: string[] } {
    const dir = writeBundle(tmp.dir, `b${++n}`, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': `soapBackend: ${backend}\n${mapping}`, ...files });
    const result = compileBundleDir(dir, { env: ENV });
    const lines = result.diagnostics.map((d) => formatDiagnostic(d, tmp.dir));
    for (const l of lines) noteOutput('tls mapping diagnostics', l);
    for (const l of lines) assert.ok(!l.includes(TEST_SECRETS.tlsPassphrase), `the passphrase leaked: ${l}`);
    return { result, file: path.join(dir, 'mapping.yaml'), lines };
  }

  const errors = (r: BundleResult): Diagnostic[] => r.diagnostics.filter((d) => d.severity === 'error');
  const warnings = (r: BundleResult): Diagnostic[] => r.diagnostics.filter((d) => d.severity === 'warning');

  function oneError(r: BundleResult, re: RegExp, line: number, col: number): void {
    const e = errors(r);
    assert.equal(e.length, 1, JSON.stringify(r.diagnostics));
    assert.match(e[0].message, re);
    assert.deepEqual([e[0].line, e[0].col], [line, col], `position of ${e[0].message}`);
    assert.equal(r.bundle, undefined);
  }

  it('a valid tls map loads; its files join the bundle files and change its hash', () => {
    const { result } = load(`tls:\n  ca: certs/ca.pem\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client1KeyEnc)}\n  passphrase: \${SB_TEST_TLS_PASSPHRASE}\n  servername: backend.test\n  minVersion: TLSv1.3\n`, {});
    // certs/ca.pem is missing in this bundle: written now, then loaded again.
    assert.equal(errors(result).length, 1);
    const dir = path.join(tmp.dir, `b${n}`);
    fs.mkdirSync(path.join(dir, 'certs'));
    fs.copyFileSync(pem(pki.files.ca), path.join(dir, 'certs', 'ca.pem'));
    const again = compileBundleDir(dir, { env: ENV });
    assert.deepEqual(errors(again), []);
    assert.deepEqual(warnings(again), []);
    const files = again.bundle!.files;
    assert.ok(files.includes(path.join(dir, 'certs', 'ca.pem')), files.join(', '));
    assert.ok(files.includes(pem(pki.files.client1)));
    assert.ok(files.includes(pem(pki.files.client1KeyEnc)));
    const op = again.bundle!.operations.get('Add')!;
    assert.ok(op.tls);
    assert.equal(op.tls.connect.servername, 'backend.test');
    assert.equal(op.tls.connect.minVersion, 'TLSv1.3');
    assert.ok(!JSON.stringify(op.tls.connect).includes(TEST_SECRETS.tlsPassphrase), 'the decrypted key is kept, not the passphrase');
    const before = hashFiles(files);
    fs.copyFileSync(pem(pki.files.otherCa), path.join(dir, 'certs', 'ca.pem'));
    const changed = compileBundleDir(dir, { env: ENV });
    assert.notEqual(hashFiles(changed.bundle!.files), before, 'a changed CA file changes the bundle hash');
    assert.notEqual(changed.bundle!.operations.get('Add')!.tls!.id, op.tls.id, 'and the TLS identity (a new pool)');
  });

  it('a missing file: error at its key, naming the file', () => {
    const { result } = load(`tls:\n  ca: certs/nope.pem\n`);
    oneError(result, /^tls\.ca: cannot read certs\/nope\.pem \(.*nope\.pem\): no such file$/, 3, 7);
  });

  it('a missing file in a ca list: error at the list item', () => {
    const { result } = load(`tls:\n  ca:\n    - ${pem(pki.files.ca)}\n    - missing.pem\n`);
    oneError(result, /^tls\.ca\[1\]: cannot read missing\.pem/, 5, 7);
  });

  it('a ca that is not PEM: error with how to convert DER', () => {
    const { result } = load(`tls:\n  ca: ca.der\n`, { 'ca.der': crypto.randomBytes(64).toString('latin1') });
    oneError(result, /^tls\.ca: ca\.der is not a PEM file \(no -----BEGIN CERTIFICATE----- block; .*openssl x509 -inform der/, 3, 7);
  });

  it('a cert file holding a key: error saying what it found', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1Key)}\n  key: ${pem(pki.files.client1Key)}\n`);
    oneError(result, /^tls\.cert: .*client1\.key holds no certificate \(found PRIVATE KEY\)/, 3, 9);
  });

  it('a key file that is not PEM: error at key', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client1)}\n`);
    oneError(result, /^tls\.key: .*client1\.pem is not a PEM private key/, 4, 8);
  });

  it('a key that does not match the certificate: error at key, naming the certificate subject', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client2Key)}\n`);
    oneError(result, /^tls\.key: .*client2\.key is not the private key of the certificate in .*client1\.pem \(CN=client-one\)$/, 4, 8);
  });

  it('a wrong passphrase: error at passphrase, without the passphrase', () => {
    const { result, lines } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client1KeyEnc)}\n  passphrase: \${SB_TEST_WRONG_PASSPHRASE}\n`);
    oneError(result, /client1-enc\.key cannot be decrypted: wrong passphrase$/, 5, 15);
    assert.ok(!lines.join('\n').includes('not-the-passphrase'));
  });

  it('an encrypted key without passphrase: error asking for one', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client1KeyEnc)}\n`);
    oneError(result, /client1-enc\.key is encrypted: set tls\.passphrase/, 4, 8);
  });

  it('a cert without key: error', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n`);
    oneError(result, /^tls: `key` is required with `cert`/, 3, 3);
  });

  it('a misspelt key or a bad value: schema errors with did-you-mean and the expected form', () => {
    const { result, lines } = load(`tls:\n  serverName: backend.test\n  minVersion: TLSv1.1\n`);
    assert.equal(result.bundle, undefined);
    assert.ok(lines.some((l) => /:3:3 tls: unknown key `serverName` \(did you mean `servername`\?\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /:4:15 tls\.minVersion: expected TLSv1\.2 or TLSv1\.3$/.test(l)), lines.join('\n'));
  });

  it('servername must be a host name, not an IP address', () => {
    const { result } = load(`tls:\n  ca: ${pem(pki.files.ca)}\n  servername: 10.1.2.3\n`);
    oneError(result, /^tls\.servername: give a host name; an IP address cannot be sent as SNI/, 4, 15);
  });

  it('the compiled settings do not show the private key in JSON or util.inspect', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.client1)}\n  key: ${pem(pki.files.client1Key)}\n`);
    const t = result.bundle!.operations.get('Add')!.tls!;
    assert.match(String(t.connect.key), /BEGIN PRIVATE KEY/);
    assert.doesNotMatch(JSON.stringify({ t }), /PRIVATE KEY/);
    assert.doesNotMatch(inspect(t, { depth: 5 }), /PRIVATE KEY/);
  });

  it('tls on an http:// backend: a warning, the bundle loads', () => {
    const { result } = load(`tls:\n  ca: ${pem(pki.files.ca)}\n`, {}, 'http://127.0.0.1:1/calculator');
    assert.deepEqual(errors(result), []);
    const w = warnings(result);
    assert.equal(w.length, 1, JSON.stringify(w));
    assert.match(w[0].message, /^tls has no effect on \w+: its backend http:\/\/127\.0\.0\.1:1\/calculator is http:\/\/, not https:\/\/$/);
    assert.deepEqual([w[0].line, w[0].col], [2, 1]);
    assert.ok(result.bundle);
  });

  it('an expired client certificate: a warning with its end date', () => {
    const { result } = load(`tls:\n  cert: ${pem(pki.files.expiredClient)}\n  key: ${pem(pki.files.expiredClientKey)}\n`);
    assert.deepEqual(errors(result), []);
    const w = warnings(result);
    assert.equal(w.length, 1);
    assert.match(w[0].message, /^tls\.cert: the client certificate in .*expired\.pem expired on 2020-02-01T00:00:00\.000Z; backends will refuse it$/);
    assert.deepEqual([w[0].line, w[0].col], [3, 9]);
  });

  it('a client certificate that expires within 30 days: a warning with the days left', () => {
    const validTo = new Date(new crypto.X509Certificate(fs.readFileSync(pem(pki.files.client1))).validTo);
    const diags = new Diagnostics();
    const where = (): { file: string; line: number; col: number } => ({ file: 'mapping.yaml', line: 1, col: 1 });
    const tls = compileTls({ cert: pki.files.client1, key: pki.files.client1Key }, ['tls'], { dir: pki.dir, where, diags, files: [], now: new Date(validTo.getTime() - 10.5 * 86_400_000) });
    assert.ok(tls);
    assert.equal(diags.list.length, 1);
    assert.match(diags.list[0].message, /^tls\.cert: the client certificate in client1\.pem expires on .* \(in 10 days\)$/);
  });

  it("an operation's own tls replaces the service's, and is checked at its own place", () => {
    const { result } = load(`tls:\n  ca: ${pem(pki.files.ca)}\noperations:\n  Add:\n    tls:\n      ca: nope.pem\n`);
    oneError(result, /^operations\.Add\.tls\.ca: cannot read nope\.pem/, 7, 11);
    const ok = load(`tls:\n  ca: ${pem(pki.files.ca)}\noperations:\n  Add:\n    tls:\n      ca: ${pem(pki.files.otherCa)}\n      servername: other.test\n`).result;
    assert.deepEqual(errors(ok), []);
    const add = ok.bundle!.operations.get('Add')!;
    const sub = ok.bundle!.operations.get('Subtract')!;
    assert.equal(add.tls!.connect.servername, 'other.test');
    assert.equal(sub.tls!.connect.servername, undefined);
    assert.notEqual(add.tls!.id, sub.tls!.id);
  });
});
