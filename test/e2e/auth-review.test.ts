/**
 * Defects found in the review of REST facade authentication (src/auth), each with the test that
 * showed it: a real bridge on loopback in front of the demo's node-soap calculator, clients told
 * apart by the loopback address their socket is bound to. Credentials are TEST_SECRETS values
 * (or hold one), so the suite's secrets guard checks none of them reaches a log.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { request, startBridge, tempDir, type Reply, type TestBridge } from '../support/bridge';
import { calculatorBundle, requestFrom } from '../support/ratelimit';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jose = require('jose') as Jose;

function jwt(secret: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new jose.SignJWT({ sub: 'ada', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

const sha = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** An API key with a non-ASCII character (it holds a TEST_SECRETS value, so a leak is caught). */
const UNICODE_KEY = `${TEST_SECRETS.apiKey}-schlüssel-ключ`;

describe('REST facade authentication: review fixes', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let bridge: TestBridge;
  let proxied: TestBridge;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    calc = await startCalculatorBackend(0);
    tmp = tempDir('auth-review');
    // Both methods; the JWT needs a scope.
    calculatorBundle(
      tmp.dir,
      'both',
      `${calc.url}/calculator`,
      `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${sha(TEST_SECRETS.apiKey)}"}\n  jwt:\n    secret: "\${AR_JWT_SECRET}"\n    scopes: [calc:add]\nauthFailures: {attempts: 3, windowMs: 60000}\n`,
    );
    // A key as `soap-bridge hash-key` hashes it: the SHA-256 of its UTF-8 bytes.
    calculatorBundle(tmp.dir, 'utf8key', `${calc.url}/calculator`, `auth:\n  apiKeys:\n    keys:\n      - {id: partner-u, sha256: "${sha(Buffer.from(UNICODE_KEY, 'utf8'))}"}\n`);
    calculatorBundle(tmp.dir, 'partner', `${calc.url}/calculator`, `auth:\n  apiKeys:\n    header: X-Partner-Key\n    keys:\n      - {id: partner-p, sha256: "${sha(TEST_SECRETS.apiKey)}"}\n`);
    calculatorBundle(tmp.dir, 'keyed', `${calc.url}/calculator`, `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${sha(TEST_SECRETS.apiKey)}"}\nauthFailures: {attempts: 3, windowMs: 60000}\n`);
    bridge = await startBridge(tmp.dir, { AR_JWT_SECRET: TEST_SECRETS.jwtSecret });
    proxied = await startBridge(tmp.dir, { AR_JWT_SECRET: TEST_SECRETS.jwtSecret }, { trustProxy: 'true', adminAllow: '198.51.100.0/24,2001:db8:5::/48' });
  });

  after(async () => {
    await proxied?.close();
    await bridge?.close();
    await calc?.close();
    tmp?.remove();
  });

  function add(from: string, service: string, headers: Record<string, string>): Promise<Reply> {
    return requestFrom(from, `${bridge.url}/api/${service}/Add`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"intA":1,"intB":2}' }).then((r) => {
      noteOutput(`auth-review reply ${service}`, `${JSON.stringify(r.headers)} ${r.text}`);
      return r;
    });
  }

  it('a wrong API key next to a valid token that lacks a scope is a failed authentication (401, counted), not a free 403', async () => {
    const unscoped = await jwt(TEST_SECRETS.jwtSecret);
    const guess = (key: string): Promise<Reply> => add('127.0.0.21', 'both', { authorization: `Bearer ${unscoped}`, 'x-api-key': key });
    const first = await guess(TEST_SECRETS.bearer);
    assert.equal(first.status, 401, first.text);
    assert.match(first.json.detail, /API key in X-API-Key is not valid/);
    assert.equal((await guess(TEST_SECRETS.bodyPassword)).status, 401);
    assert.equal((await guess(TEST_SECRETS.restToken)).status, 401);
    // The guesses were counted: the address is blocked, even for the right key.
    assert.equal((await guess(TEST_SECRETS.apiKey)).status, 429);
    // The token alone, from another address, is still the 403 it was.
    const alone = await add('127.0.0.22', 'both', { authorization: `Bearer ${unscoped}` });
    assert.equal(alone.status, 403, alone.text);
    assert.match(alone.headers['www-authenticate'] ?? '', /error="insufficient_scope"/);
    // And the right key with that token passes.
    assert.equal((await add('127.0.0.22', 'both', { authorization: `Bearer ${unscoped}`, 'x-api-key': TEST_SECRETS.apiKey })).status, 200);
  });

  it('an API key with non-ASCII characters, sent as UTF-8, matches the hash hash-key gives (SHA-256 of its UTF-8 bytes)', async () => {
    // Node writes header strings as latin1: this string puts the key's UTF-8 bytes on the wire, as curl does.
    const wire = Buffer.from(UNICODE_KEY, 'utf8').toString('latin1');
    const r = await add('127.0.0.23', 'utf8key', { 'x-api-key': wire });
    assert.equal(r.status, 200, r.text);
    const wrong = await add('127.0.0.23', 'utf8key', { 'x-api-key': Buffer.from(`${UNICODE_KEY}x`, 'utf8').toString('latin1') });
    assert.equal(wrong.status, 401, wrong.text);
  });

  it('with TRUST_PROXY, an X-Forwarded-For entry with a port (ip:port, [ipv6]:port, as some proxies write it) is the address without it', async () => {
    const via = (xff: string, key: string): Promise<Reply> =>
      requestFrom('127.0.0.1', `${proxied.url}/api/keyed/Add`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-forwarded-for': xff }, body: '{"intA":1,"intB":2}' });
    // A new source port per connection must not make a new address: three guesses block it.
    for (const port of [40001, 40002, 40003]) assert.equal((await via(`198.51.100.9:${port}`, TEST_SECRETS.bearer)).status, 401);
    assert.equal((await via('198.51.100.9:40004', TEST_SECRETS.apiKey)).status, 429);
    assert.equal((await via('198.51.100.9', TEST_SECRETS.apiKey)).status, 429);
    for (const port of [1, 2, 3]) assert.equal((await via(`[2001:db8:5::7]:${port}`, TEST_SECRETS.bearer)).status, 401);
    assert.equal((await via('2001:db8:5::7', TEST_SECRETS.apiKey)).status, 429);
    assert.equal((await via('198.51.100.10:5', TEST_SECRETS.apiKey)).status, 200);
    // The admin allow-list sees the same address.
    for (const xff of ['198.51.100.9:40005', '[2001:db8:5::7]:443', '[2001:db8:5::8]']) {
      const r = await requestFrom('127.0.0.1', `${proxied.url}/metrics`, { headers: { 'x-forwarded-for': xff } });
      assert.equal(r.status, 200, `${xff}: ${r.text}`);
    }
    const outside = await requestFrom('127.0.0.1', `${proxied.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9:443' } });
    assert.equal(outside.status, 403, outside.text);
  });

  it('a token with a critical header parameter the bridge does not know (crit) is refused as such, not as a wrong algorithm', async () => {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signed = `${b64({ alg: 'HS256', crit: ['x-policy'], 'x-policy': 'strict' })}.${b64({ sub: 'ada', scope: 'calc:add', exp: Math.floor(Date.now() / 1000) + 300 })}`;
    const token = `${signed}.${createHmac('sha256', TEST_SECRETS.jwtSecret).update(signed).digest('base64url')}`;
    const r = await add('127.0.0.24', 'both', { authorization: `Bearer ${token}` });
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.detail, /critical header parameter "x-policy"/);
    assert.doesNotMatch(r.json.detail, /algorithm/);
    assert.match(r.headers['www-authenticate'] ?? '', /error="invalid_token", error_description="The token has a critical header parameter that is not understood"/);
  });

  it('the OpenAPI document\'s 401 example names the header the service takes, as the 401 itself does', async () => {
    const doc = (await request(`${bridge.url}/openapi.json`)).json;
    const example = doc.paths['/api/partner/Add'].post.responses['401'].content['application/problem+json'].example;
    const r = await add('127.0.0.25', 'partner', {});
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.detail, 'credentials are required: send an API key in X-Partner-Key');
    assert.equal(example.detail, r.json.detail);
  });
});
