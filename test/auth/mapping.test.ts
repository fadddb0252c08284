/**
 * The `auth` key of mapping.yaml at load: each kind of mistake is an error at its YAML
 * position (file:line:col), with a "did you mean" for misspelt keys; a valid setting loads and
 * its key files become files of the bundle (hot reload, bundle hash).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { compileBundleDir } from '../../src/compile';
import { formatDiagnostic } from '../../src/compile/diagnostics';
import { tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';
import { TEST_SECRETS } from '../support/secrets';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const HASH = createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex');

describe('auth: mapping validation', function () {
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  before(() => (tmp = tempDir('auth-mapping')));
  after(() => tmp?.remove());

  /** Loads a bundle with this mapping (and files); the diagnostics as `line:col message`. */
  function load(mapping: string, files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): { errors: string[]; warnings: string[]; files?: string[] } {
    const dir = writeBundle(tmp.dir, `b${n++}`, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping });
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    const r = compileBundleDir(dir, { env });
    const lines = (sev: string): string[] => r.diagnostics.filter((d) => d.severity === sev).map((d) => formatDiagnostic(d, dir).replace(/^mapping\.yaml:/, ''));
    return { errors: lines('error'), warnings: lines('warning'), files: r.bundle?.files.map((f) => path.relative(dir, f)).sort() };
  }

  it('a valid setting loads; the key files are files of the bundle', () => {
    const r = load(`auth:\n  apiKeys:\n    keys:\n      - { id: partner-a, sha256: "\${KEY_HASH}" }\n  jwt:\n    publicKey: keys/idp.pem\n    secret: \${JWT_SECRET}\n    audience: soap-bridge\noperations:\n  Add:\n    auth: false\n`, { 'keys/idp.pem': ecPem }, { KEY_HASH: HASH, JWT_SECRET: TEST_SECRETS.jwtSecret });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.files, ['calculator.wsdl', 'keys/idp.pem', 'mapping.yaml']);
  });

  it('a short HMAC secret is a warning at its position', () => {
    const r = load('auth:\n  jwt:\n    secret: ${S}\n', {}, { S: 'short-secret' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, ['3:13 warning: auth.jwt.secret: the secret has 12 bytes; HS256 wants 32 or more (RFC 7518 §3.2)']);
  });

  it('a hash that is not 64 hex digits (the value is not echoed)', () => {
    const r = load(`auth:\n  apiKeys:\n    keys:\n      - id: a\n        sha256: ${TEST_SECRETS.apiKey}\n`);
    assert.deepEqual(r.errors, [`5:17 auth.apiKeys.keys[0].sha256: expected the hex SHA-256 of the key (64 hex digits; soap-bridge hash-key prints it), got ${TEST_SECRETS.apiKey.length} characters`]);
  });

  it('an unset ${VAR}', () => {
    const r = load('auth:\n  jwt:\n    secret: ${JWT_SECRET}\n');
    assert.deepEqual(r.errors, ['3:13 auth.jwt.secret: environment variable JWT_SECRET is not set (use ${JWT_SECRET:-default} for a default)']);
  });

  it('a missing key file', () => {
    const r = load('operations:\n  Add:\n    auth:\n      jwt:\n        publicKey: keys/missing.pem\n');
    assert.deepEqual(r.errors, ['5:20 operations.Add.auth.jwt.publicKey: cannot read keys/missing.pem: no such file (paths are relative to the bundle folder)']);
  });

  it('a PEM file that holds no public key', () => {
    const r = load('auth:\n  jwt:\n    publicKey: idp.pem\n', { 'idp.pem': 'not a key\n' });
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /^3:16 auth\.jwt\.publicKey: idp\.pem is not a PEM public key or certificate/);
  });

  it('a JWKS that does not parse, or is not a key set', () => {
    assert.match(load('auth:\n  jwt:\n    jwks: jwks.json\n', { 'jwks.json': '{"keys": [' }).errors.join('\n'), /^3:11 auth\.jwt\.jwks: jwks\.json: not JSON \(/);
    assert.deepEqual(load('auth:\n  jwt:\n    jwks: jwks.json\n', { 'jwks.json': '{"kty": "EC"}' }).errors, ['3:11 auth.jwt.jwks: jwks.json: not a JSON Web Key Set: expected {"keys": [ … ]}']);
    const priv = { keys: [{ ...ec.privateKey.export({ format: 'jwk' }), kid: 'a' }] };
    assert.match(load('auth:\n  jwt:\n    jwks: jwks.json\n', { 'jwks.json': JSON.stringify(priv) }).errors.join('\n'), /keys\[0\] holds private or symmetric key material \(d\)/);
    const noKid = { keys: [ec.publicKey.export({ format: 'jwk' }), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })] };
    assert.match(load('auth:\n  jwt:\n    jwks: jwks.json\n', { 'jwks.json': JSON.stringify(noKid) }).errors.join('\n'), /every key needs a kid/);
  });

  it('algorithms that no configured key verifies', () => {
    const r = load('auth:\n  jwt:\n    publicKey: idp.pem\n    algorithms: [ES256, RS256]\n', { 'idp.pem': ecPem });
    assert.deepEqual(r.errors, ['4:25 auth.jwt.algorithms[1]: no configured key verifies RS256 (the keys given verify ES256)']);
  });

  it('alg none is not an algorithm', () => {
    const r = load('auth:\n  jwt:\n    secret: ${S}\n    algorithms: [none]\n', {}, { S: TEST_SECRETS.jwtSecret });
    assert.deepEqual(r.errors, ['4:18 auth.jwt.algorithms[0]: expected one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519 ("none" is never accepted)']);
  });

  it('auth on a service without a REST facade is a warning', () => {
    const r = load('restBackend: http://127.0.0.1:9/json\nauth:\n  jwt:\n    secret: ${S}\n', {}, { S: 'x'.repeat(32) });
    assert.deepEqual(r.errors, []);
    assert.ok(r.warnings.includes('2:1 warning: auth has no effect: auth protects the REST facade, and the service has none (it sets restBackend only)'), r.warnings.join('\n'));
  });

  it('a misspelt key, with a hint; auth: true; jwt without a key', () => {
    assert.deepEqual(load('auth:\n  apiKey:\n    keys: []\n').errors, ['2:3 auth: unknown key `apiKey` (did you mean `apiKeys`?)']);
    assert.deepEqual(load('auth: {}\n').errors, ['1:7 auth: give at least one of `apiKeys` or `jwt` (or false for a public operation)']);
    assert.deepEqual(load('operations:\n  Add:\n    auth: true\n').errors, ['3:11 operations.Add.auth: expected false (a public operation) or a map with apiKeys and/or jwt']);
    assert.deepEqual(load('auth:\n  jwt:\n    audience: x\n').errors, ['3:5 auth.jwt: give at least one of `secret`, `publicKey` or `jwks` to verify signatures with']);
  });
});
