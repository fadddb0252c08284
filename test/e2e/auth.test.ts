/**
 * REST facade authentication end to end: a real bridge over HTTP in front of the demo
 * calculator's SOAP backend (node-soap), with `auth:` in the mapping. API keys and the HS256
 * secret are TEST_SECRETS values from the environment, so the suite-wide guard checks they
 * never reach a log line. Also: the OpenAPI document's security, and a JWKS change picked up by
 * hot reload.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { postJson, request, startBridge, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { redoclyLint, swaggerValidate } from '../support/openapi';
import { noteOutput, TEST_SECRETS } from '../support/secrets';
import type { OpenApiDocument } from '../../src/openapi';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jose = require('jose') as Jose;

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const ALL = Object.values(TEST_SECRETS);
const SECRET = new TextEncoder().encode(TEST_SECRETS.jwtSecret);

function clean(r: Reply, what: string): void {
  noteOutput(`reply: ${what}`, `${JSON.stringify(r.headers)} ${r.text}`);
  for (const s of ALL) assert.ok(!r.text.includes(s) && !JSON.stringify(r.headers).includes(s), `${what}: ${s} leaked`);
}

function token(key: KeyObject | Uint8Array, alg: string, claims: Record<string, unknown> = {}, kid?: string): Promise<string> {
  return new jose.SignJWT({ sub: 'ada', ...claims })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

const MAPPING = `soapBackend: http://127.0.0.1:\${CALC_PORT}/calculator
auth:
  apiKeys:
    keys:
      - { id: partner-a, sha256: "\${PARTNER_A_SHA256}" }
  jwt:
    secret: \${JWT_SECRET}
    audience: soap-bridge
operations:
  Add:
    route: GET /add
    request:
      fields: { intA: query.a, intB: query.b }
  Subtract:
    auth: false
  Multiply:
    auth:
      jwt:
        secret: \${JWT_SECRET}
        audience: soap-bridge
        scopes: [calc:multiply]
`;

describe('REST facade authentication end to end', function () {
  let backend: DemoBackend;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  const idp1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const idp2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = (k: KeyObject, kid: string): string => JSON.stringify({ keys: [{ ...k.export({ format: 'jwk' }), kid }] });

  before(async () => {
    backend = await startCalculatorBackend();
    tmp = tempDir('auth-e2e');
    writeBundle(tmp.dir, 'calc', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': MAPPING });
    writeBundle(tmp.dir, 'idp', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': 'soapBackend: http://127.0.0.1:${CALC_PORT}/calculator\nauth:\n  jwt:\n    jwks: keys/jwks.json\n',
    });
    fs.mkdirSync(path.join(tmp.dir, 'idp', 'keys'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'idp', 'keys', 'jwks.json'), jwks(idp1.publicKey, 'one'));
    bridge = await startBridge(tmp.dir, { CALC_PORT: String(backend.port), PARTNER_A_SHA256: createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex'), JWT_SECRET: TEST_SECRETS.jwtSecret }, { reloadDebounceMs: '100' });
  });

  after(async () => {
    await bridge?.close();
    await backend?.close();
    tmp?.remove();
  });

  it('no credentials: 401 UNAUTHORIZED with both challenges, the body not read', async () => {
    const r = await postJson(`${bridge.url}/api/calc/Divide`, '{"this is": not json');
    assert.equal(r.status, 401, r.text);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.equal(r.json.type, 'urn:soap-bridge:problem:unauthorized');
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="calc", ApiKey realm="calc", header="X-API-Key"');
    assert.match(r.json.detail, /credentials are required/);
    // The unread body is not waited for: the connection is closed.
    assert.equal(r.headers.connection, 'close');
  });

  it('routes the service lacks are not revealed to callers without credentials: 401 before 404 or 405', async () => {
    const unknown = await postJson(`${bridge.url}/api/calc/Addd`, {});
    assert.equal(unknown.status, 401, unknown.text);
    assert.doesNotMatch(unknown.json.detail, /did you mean|no operation/);
    const wrongMethod = await request(`${bridge.url}/api/calc/add?a=1&b=2`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 401, wrongMethod.text);
    assert.equal(wrongMethod.headers.allow, undefined);
    // Authenticated callers get the usual answers, hints included.
    const key = { 'x-api-key': TEST_SECRETS.apiKey };
    const found = await postJson(`${bridge.url}/api/calc/Addd`, {}, key);
    assert.equal(found.status, 404, found.text);
    assert.match(found.json.detail, /did you mean "Add"/);
    const method = await request(`${bridge.url}/api/calc/add?a=1&b=2`, { method: 'DELETE', headers: key });
    assert.equal(method.status, 405, method.text);
    assert.equal(method.headers.allow, 'GET');
  });

  it('a good API key: 200 with the backend\'s answer; the principal is in the access line', async () => {
    const r = await request(`${bridge.url}/api/calc/add?a=2&b=3`, { headers: { 'x-api-key': TEST_SECRETS.apiKey, 'x-request-id': 'auth-e2e-key' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { AddResult: 5 });
    const line = await accessLine('auth-e2e-key');
    assert.equal(line.principal, 'partner-a');
    assert.equal(line.status, 200);
  });

  it('a wrong API key: 401, the key not echoed', async () => {
    const r = await request(`${bridge.url}/api/calc/add?a=2&b=3`, { headers: { 'x-api-key': TEST_SECRETS.restToken } });
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.detail, /the API key in X-API-Key is not valid/);
    clean(r, 'wrong key');
  });

  it('a good JWT: 200; its sub is the principal', async () => {
    const t = await token(SECRET, 'HS256', { aud: 'soap-bridge', sub: 'grace' });
    const r = await postJson(`${bridge.url}/api/calc/Divide`, { intA: 7, intB: 2 }, { authorization: `Bearer ${t}`, 'x-request-id': 'auth-e2e-jwt' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.DivideResult, 3);
    assert.equal((await accessLine('auth-e2e-jwt')).principal, 'grace');
  });

  it('a JWT for another audience: 401 invalid_token, the token not echoed', async () => {
    const t = await token(SECRET, 'HS256', { aud: 'elsewhere' });
    const r = await postJson(`${bridge.url}/api/calc/Divide`, { intA: 7, intB: 2 }, { authorization: `Bearer ${t}` });
    assert.equal(r.status, 401, r.text);
    assert.match(r.headers['www-authenticate'] as string, /^Bearer realm="calc", error="invalid_token", error_description="The token is for another audience", ApiKey/);
    assert.match(r.json.detail, /audience "elsewhere" is not "soap-bridge"/);
    assert.ok(!r.text.includes(t) && !r.text.includes(t.split('.')[2]));
    clean(r, 'wrong audience');
  });

  it('a public operation (auth: false) answers without credentials', async () => {
    const r = await postJson(`${bridge.url}/api/calc/Subtract`, { intA: 7, intB: 2 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { SubtractResult: 5 });
  });

  it('an operation\'s own auth replaces the bundle\'s: the API key no longer works, a token without the scope is 403', async () => {
    const withKey = await postJson(`${bridge.url}/api/calc/Multiply`, { intA: 7, intB: 2 }, { 'x-api-key': TEST_SECRETS.apiKey });
    assert.equal(withKey.status, 401, withKey.text);
    assert.equal(withKey.headers['www-authenticate'], 'Bearer realm="calc"');
    const noScope = await postJson(`${bridge.url}/api/calc/Multiply`, { intA: 7, intB: 2 }, { authorization: `Bearer ${await token(SECRET, 'HS256', { aud: 'soap-bridge', scope: 'calc:add' })}` });
    assert.equal(noScope.status, 403, noScope.text);
    assert.equal(noScope.json.type, 'urn:soap-bridge:problem:forbidden');
    assert.match(noScope.headers['www-authenticate'] as string, /error="insufficient_scope"/);
    const ok = await postJson(`${bridge.url}/api/calc/Multiply`, { intA: 7, intB: 2 }, { authorization: `Bearer ${await token(SECRET, 'HS256', { aud: 'soap-bridge', scope: 'calc:multiply' })}` });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { MultiplyResult: 14 });
  });

  it('the OpenAPI document declares the security schemes, per-operation security and 401/403', async () => {
    const r = await request(`${bridge.url}/openapi.json`);
    assert.equal(r.status, 200);
    const doc = r.json as OpenApiDocument & { components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> };
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey.X-API-Key', 'bearerJwt']);
    assert.deepEqual(doc.components.securitySchemes['apiKey.X-API-Key'], { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key in the X-API-Key header.' });
    assert.deepEqual(doc.paths['/api/calc/add'].get.security, [{ bearerJwt: [] }, { 'apiKey.X-API-Key': [] }]);
    assert.ok(doc.paths['/api/calc/add'].get.responses['401']);
    assert.deepEqual(doc.paths['/api/calc/Subtract'].post.security, []);
    assert.equal(doc.paths['/api/calc/Subtract'].post.responses['401'], undefined);
    assert.deepEqual(doc.paths['/api/calc/Multiply'].post.security, [{ bearerJwt: ['calc:multiply'] }]);
    assert.ok(doc.paths['/api/calc/Multiply'].post.responses['403']);
    await swaggerValidate(doc);
    const lint = await redoclyLint(doc);
    assert.equal(lint.errors, 0, JSON.stringify(lint.problems.filter((p) => p.severity === 'error'), null, 1));
  });

  it('hot reload: a changed JWKS takes effect', async () => {
    const url = `${bridge.url}/api/idp/Add`;
    const t1 = await token(idp1.privateKey, 'ES256', {}, 'one');
    const t2 = await token(idp2.privateKey, 'ES256', {}, 'two');
    assert.equal((await postJson(url, { intA: 1, intB: 1 }, { authorization: `Bearer ${t1}` })).status, 200);
    assert.equal((await postJson(url, { intA: 1, intB: 1 }, { authorization: `Bearer ${t2}` })).status, 401);
    fs.writeFileSync(path.join(tmp.dir, 'idp', 'keys', 'jwks.json'), jwks(idp2.publicKey, 'two'));
    // Bounded wait for the reload (debounce 100 ms, then a compile).
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await postJson(url, { intA: 1, intB: 1 }, { authorization: `Bearer ${t2}` })).status;
    }
    assert.equal(status, 200, 'the new key is accepted after the reload');
    const old = await postJson(url, { intA: 1, intB: 1 }, { authorization: `Bearer ${t1}` });
    assert.equal(old.status, 401, old.text);
    assert.match(old.json.detail, /no key of the key set matches/);
    assert.ok(bridge.log.lines.some((l) => l.message === 'service reloaded' && l.service === 'idp'));
  });

  /** The access line of a request, by its id (written when the response closes: bounded wait). */
  async function accessLine(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 50; i++) {
      const line = bridge.log.lines.find((l) => l.message === 'access' && l.requestId === requestId);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`no access line for ${requestId}`);
  }
});
