/**
 * Brute-force protection (mapping key `authFailures`) end to end with the in-memory store: real
 * bridges on loopback, the demo's node-soap calculator (REST facade, API keys) and JSON inventory
 * service (SOAP facade, WS-Security UsernameToken), clients told apart by the loopback address
 * their socket is bound to. The credentials, right and wrong, are TEST_SECRETS values, so the
 * suite's secrets guard checks none of them reaches a log.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { inventoryApp } from '../../fixtures/demo/inventory';
import { compileBundleDir } from '../../src/compile';
import { formatDiagnostic } from '../../src/compile/diagnostics';
import { addressKey, DEFAULT_AUTH_FAILURES } from '../../src/ratelimit/auth-failures';
import { request, startBridge, startHttp, tempDir, type Reply, type TestBridge } from '../support/bridge';
import { calculatorBundle, checkStock, inventoryBundle, requestFrom, usernameToken } from '../support/ratelimit';
import { TEST_SECRETS } from '../support/secrets';

const BLOCKED = 'authentication failures: address blocked';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jose = require('jose') as Jose;

/** An HS256 JWT for `sub: ada` with these claims, signed with `secret`. */
function jwt(secret: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new jose.SignJWT({ sub: 'ada', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

/** Polls `attempt` every 200 ms until it returns true, for at most `ms`. */
async function waitFor(what: string, ms: number, attempt: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('authFailures: failed authentications throttled per address (memory store)', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let inventory: Awaited<ReturnType<typeof startHttp>>;
  let inventoryCalls = 0;
  let bridge: TestBridge;
  let proxied: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
  const keys = `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${sha(TEST_SECRETS.apiKey)}"}\n`;
  // Wrong credentials are secrets too (a caller's mistyped key or password is one): the guard checks them.
  const WRONG_KEY = TEST_SECRETS.bearer;
  const WRONG_PASSWORD = TEST_SECRETS.bodyPassword;

  before(async () => {
    calc = await startCalculatorBackend(0);
    const app = inventoryApp();
    inventory = await startHttp((req, res) => {
      inventoryCalls++;
      app(req, res);
    });
    tmp = tempDir('auth-failures');
    calculatorBundle(tmp.dir, 'keyed', `${calc.url}/calculator`, `${keys}authFailures: {attempts: 3, windowMs: 2000}\noperations:\n  Multiply: {auth: false}\n`);
    calculatorBundle(tmp.dir, 'open', `${calc.url}/calculator`, `${keys}authFailures: false\n`);
    calculatorBundle(tmp.dir, 'dflt', `${calc.url}/calculator`, keys);
    calculatorBundle(tmp.dir, 'scoped', `${calc.url}/calculator`, 'auth:\n  jwt:\n    secret: "${AF_JWT_SECRET}"\n    scopes: [calc:add]\nauthFailures: {attempts: 2, windowMs: 60000}\n');
    const soapAuth = 'soapAuth:\n  usernameToken:\n    users:\n      - {username: alice, password: "${AF_ALICE_PW}"}\n    passwordTypes: [text]\n';
    inventoryBundle(tmp.dir, 'authinv', `${inventory.url}/inventory`, `${soapAuth}authFailures: {attempts: 3, windowMs: 2000}`);
    const env = { AF_ALICE_PW: TEST_SECRETS.wsPassword, AF_JWT_SECRET: TEST_SECRETS.jwtSecret };
    bridge = await startBridge(tmp.dir, env);
    proxied = await startBridge(tmp.dir, env, { trustProxy: 'true' });
  });

  after(async () => {
    await bridge?.close();
    await proxied?.close();
    await inventory?.close();
    await calc?.close();
    tmp?.remove();
  });

  const add = (from: string, key?: string, b: TestBridge = bridge, service = 'keyed', headers: Record<string, string> = {}): Promise<Reply> =>
    requestFrom(from, `${b.url}/api/${service}/Add`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-api-key': key }), ...headers }, body: '{"intA":4,"intB":5}' });
  const blockedLines = (b: TestBridge): Record<string, unknown>[] => b.log.lines.filter((l) => l.message === BLOCKED);

  it('REST: N wrong API keys from one address are 401s, then that address gets 429 with Retry-After even with the right key; other addresses are not affected', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await add('127.0.0.5', WRONG_KEY);
      assert.equal(r.status, 401, r.text);
    }
    const blocked = await add('127.0.0.5', TEST_SECRETS.apiKey);
    assert.equal(blocked.status, 429, blocked.text);
    assert.equal(blocked.headers['content-type'], 'application/problem+json');
    assert.equal(blocked.json.type, 'urn:soap-bridge:problem:rate-limited');
    assert.match(blocked.json.detail, /too many failed authentications from this address for service "keyed" \(3 in 2 s\); retry after \d s/);
    const retry = Number(blocked.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 2, String(blocked.headers['retry-after']));
    // More wrong keys are refused before they are checked (429, not 401).
    assert.equal((await add('127.0.0.5', WRONG_KEY)).status, 429);
    assert.equal((await add('127.0.0.5')).status, 429);
    // Another address with the right key, and a public operation from the blocked address, still work.
    const other = await add('127.0.0.6', TEST_SECRETS.apiKey);
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.json, { AddResult: 9 });
    const pub = await requestFrom('127.0.0.5', `${bridge.url}/api/keyed/Multiply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":4,"intB":5}' });
    assert.equal(pub.status, 200, pub.text);
    // One warning for the block, with the address and service, never a credential.
    const lines = blockedLines(bridge).filter((l) => l.service === 'keyed');
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0].level, 'warn');
    assert.equal(lines[0].address, '127.0.0.5');
    assert.equal(lines[0].attempts, 3);
    const all = JSON.stringify(bridge.log.lines);
    for (const secret of [WRONG_KEY, TEST_SECRETS.apiKey]) assert.ok(!all.includes(secret), 'no credential in the log');
  });

  it('REST: once the window is over, the address may try again (wait bounded by 10 s)', async () => {
    await waitFor('127.0.0.5 to be let in again', 10000, async () => (await add('127.0.0.5', TEST_SECRETS.apiKey)).status === 200);
    // A fresh budget: a wrong key is a 401 again.
    assert.equal((await add('127.0.0.5', WRONG_KEY)).status, 401);
  });

  it('REST: the default budget applies with auth and no authFailures; authFailures: false turns it off', async () => {
    const statuses = async (service: string, n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await add('127.0.0.10', WRONG_KEY, bridge, service)).status);
      return out;
    };
    const dflt = await statuses('dflt', DEFAULT_AUTH_FAILURES.attempts + 1);
    assert.deepEqual(dflt, [...Array<number>(DEFAULT_AUTH_FAILURES.attempts).fill(401), 429]);
    assert.deepEqual(await statuses('open', 25), Array<number>(25).fill(401));
  });

  it('REST: a valid JWT lacking a scope (403) costs nothing; forged and missing tokens (401) do', async () => {
    const call = async (token?: string): Promise<number> =>
      (await requestFrom('127.0.0.11', `${bridge.url}/api/scoped/Add`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{"intA":1,"intB":2}' })).status;
    const unscoped = await jwt(TEST_SECRETS.jwtSecret);
    const scoped = await jwt(TEST_SECRETS.jwtSecret, { scope: 'calc:add' });
    const forged = await jwt(TEST_SECRETS.bearer, { scope: 'calc:add' });
    assert.deepEqual([await call(unscoped), await call(unscoped), await call(unscoped), await call(scoped)], [403, 403, 403, 200]);
    assert.deepEqual([await call(forged), await call(), await call(scoped), await call(unscoped)], [401, 401, 429, 429]);
  });

  it('with TRUST_PROXY, counts the last X-Forwarded-For address (the proxy-added one; IPv6 by its /64); a forged first entry changes nothing', async () => {
    const via = (xff: string, key: string): Promise<Reply> => add('127.0.0.1', key, proxied, 'keyed', { 'x-forwarded-for': xff });
    for (const forged of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) assert.equal((await via(`${forged}, 198.51.100.7`, WRONG_KEY)).status, 401);
    assert.equal((await via('203.0.113.4, 198.51.100.7', TEST_SECRETS.apiKey)).status, 429);
    assert.equal((await via('198.51.100.8', TEST_SECRETS.apiKey)).status, 200);
    assert.equal(blockedLines(proxied)[0]?.address, '198.51.100.7');
    // IPv6: the addresses of one /64 share a count.
    for (const host of ['1', '2', '3']) assert.equal((await via(`2001:db8:7:8::${host}`, WRONG_KEY)).status, 401);
    assert.equal((await via('2001:db8:7:8:ffff::99', TEST_SECRETS.apiKey)).status, 429);
    assert.equal((await via('2001:db8:7:9::1', TEST_SECRETS.apiKey)).status, 200);
    const v6 = blockedLines(proxied)[1];
    assert.equal(v6?.address, '2001:db8:7:8::3');
    assert.equal(v6?.blocked, '2001:db8:7:8::/64');
  });

  it('SOAP: N wrong WS-Security passwords, then Client.RateLimited (1.1) / Sender RateLimited (1.2) with Retry-After before the password is checked; the JSON service is never called', async () => {
    const url = `${bridge.url}/soap/authinv`;
    const call = (from: string, password: string, version: '1.1' | '1.2' = '1.1'): Promise<Reply> =>
      requestFrom(from, url, { method: 'POST', ...checkStock(version, 'BOK-1001', usernameToken('alice', password)) });
    const before = inventoryCalls;
    for (let i = 0; i < 3; i++) {
      const r = await call('127.0.0.7', WRONG_PASSWORD);
      assert.equal(r.status, 500, r.text);
      assert.match(r.text, /FailedAuthentication/);
    }
    const r11 = await call('127.0.0.7', TEST_SECRETS.wsPassword);
    assert.equal(r11.status, 500, r11.text);
    assert.match(r11.text, /<faultcode>soap:Client\.RateLimited<\/faultcode>/);
    assert.match(r11.text, /<faultstring>too many failed authentications from this address for service "authinv"/);
    const retry = Number(r11.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 2, String(r11.headers['retry-after']));
    const r12 = await call('127.0.0.7', WRONG_PASSWORD, '1.2');
    assert.equal(r12.status, 400, r12.text);
    assert.match(r12.text, /<soap:Value>soap:Sender<\/soap:Value><soap:Subcode><soap:Value xmlns:sbc="urn:soap-bridge:fault">sbc:RateLimited<\/soap:Value><\/soap:Subcode>/);
    assert.ok(!/FailedAuthentication/.test(r12.text), 'refused before the password is checked');
    assert.equal(inventoryCalls, before, 'no refused request reaches the JSON service');
    // Another address, right password: served.
    const ok = await call('127.0.0.8', TEST_SECRETS.wsPassword);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /<tns:available>15<\/tns:available>/);
    const lines = blockedLines(bridge).filter((l) => l.service === 'authinv');
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0].address, '127.0.0.7');
    // After the window (bounded wait), the right password works again from 127.0.0.7.
    await waitFor('127.0.0.7 to be let in again', 10000, async () => (await call('127.0.0.7', TEST_SECRETS.wsPassword)).status === 200);
    const all = JSON.stringify(bridge.log.lines);
    for (const secret of [WRONG_PASSWORD, TEST_SECRETS.wsPassword]) assert.ok(!all.includes(secret), 'no password in the log');
  });

  it('counts failures in soap_bridge_auth_failures_total{service} and blocked requests in soap_bridge_auth_blocked_total{service}', async () => {
    const text = (await request(`${bridge.url}/metrics`)).text;
    const count = (metric: string, service: string): number => Number(new RegExp(`^${metric}\\{service="${service}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const shown = text.split('\n').filter((l) => l.includes('soap_bridge_auth_')).join('\n');
    // keyed: 3 wrong keys + 1 after the window; blocked: right key, wrong key, no key (and the waits' early tries).
    assert.equal(count('soap_bridge_auth_failures_total', 'keyed'), 4, shown);
    assert.ok(count('soap_bridge_auth_blocked_total', 'keyed') >= 3, shown);
    assert.equal(count('soap_bridge_auth_failures_total', 'authinv'), 3, shown);
    assert.ok(count('soap_bridge_auth_blocked_total', 'authinv') >= 2, shown);
    assert.equal(count('soap_bridge_auth_failures_total', 'open'), 0, 'authFailures: false counts nothing');
  });

  it('REST: wrong keys on routes the service lacks (answered 401 before 404) count too, and a blocked address gets 429 there', async () => {
    const post = (op: string, key: string): Promise<Reply> =>
      requestFrom('127.0.0.12', `${bridge.url}/api/keyed/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{}' });
    for (let i = 0; i < 3; i++) assert.equal((await post('NoSuchOperation', WRONG_KEY)).status, 401);
    assert.equal((await post('Add', TEST_SECRETS.apiKey)).status, 429);
    assert.equal((await post('NoSuchOperation', TEST_SECRETS.apiKey)).status, 429);
  });

  it('keys IPv4 addresses as they are and IPv6 addresses by their /64', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('2001:0DB8:00a0:0002:ffff::'), '2001:db8:a0:2::/64');
    assert.equal(addressKey('unknown'), 'unknown');
  });
});

describe('authFailures in mapping.yaml', () => {
  const tmp = tempDir('auth-failures-mapping');
  after(() => tmp.remove());
  let n = 0;
  const keys = `auth:\n  apiKeys:\n    keys:\n      - {id: a, sha256: "${'0'.repeat(64)}"}\n`;

  function load(mapping: string): { lines: string[]; bundle: ReturnType<typeof compileBundleDir>['bundle'] } {
    const dir = calculatorBundle(tmp.dir, `m${++n}`, 'http://127.0.0.1:9/calculator', mapping);
    const r = compileBundleDir(dir, { env: {} });
    return { lines: r.diagnostics.map((d) => formatDiagnostic(d, dir)), bundle: r.bundle };
  }

  it('gives a service with auth the default budget, its own, or none with false; none without auth (a setting is warned about)', () => {
    const dflt = load(keys);
    assert.deepEqual(dflt.lines, []);
    assert.deepEqual(dflt.bundle!.authFailures, { service: 'm1', ...DEFAULT_AUTH_FAILURES });
    const own = load(`${keys}authFailures: {attempts: 5, windowMs: 30000}\n`);
    assert.deepEqual(own.lines, []);
    assert.deepEqual(own.bundle!.authFailures, { service: 'm2', attempts: 5, windowMs: 30000 });
    const off = load(`${keys}authFailures: false\n`);
    assert.deepEqual(off.lines, []);
    assert.equal(off.bundle!.authFailures, undefined);
    // auth on one operation only is enough.
    const opOnly = load(`operations:\n  Add:\n    ${keys.trimEnd().replace(/\n/g, '\n    ')}\n`);
    assert.deepEqual(opOnly.lines, []);
    assert.deepEqual(opOnly.bundle!.authFailures, { service: 'm4', ...DEFAULT_AUTH_FAILURES });
    const none = load('authFailures: {attempts: 5, windowMs: 30000}\n');
    assert.deepEqual(none.lines, ['mapping.yaml:3:1 warning: authFailures has no effect: the service asks for no credentials (no auth, no soapAuth)']);
    assert.equal(none.bundle!.authFailures, undefined);
    assert.equal(load('').bundle!.authFailures, undefined);
  });

  it('refuses bad values at their position, in words, with "did you mean"', () => {
    const cases: [string, string][] = [
      ['authFailures: true\n', 'mapping.yaml:3:15 authFailures: give false (no brute-force protection) or a map {attempts: N, windowMs: MS}; true is not a setting (the protection is on by default with auth or soapAuth)'],
      ['authFailures: {attempts: 10}\n', 'mapping.yaml:3:15 authFailures: `windowMs` is required'],
      ['authFailures: {attempts: 10, windowMs: 1500}\n', 'mapping.yaml:3:40 authFailures.windowMs: expected a window in milliseconds, whole seconds (1000, 60000, …)'],
      ['authFailures: {attempts: 0, windowMs: 1000}\n', 'mapping.yaml:3:26 authFailures.attempts must be >= 1'],
      ['authFailures: {attempts: lots, windowMs: 1000}\n', 'mapping.yaml:3:26 authFailures.attempts: expected a whole number of failed authentications per address and window, 1 or more'],
      ['authFailures: {attempt: 10, windowMs: 1000}\n', 'mapping.yaml:3:16 authFailures: unknown key `attempt` (did you mean `attempts`?)'],
      ['authFailure: {attempts: 10, windowMs: 1000}\n', 'mapping.yaml:3:1 unknown key `authFailure` (did you mean `authFailures`?)'],
    ];
    for (const [mapping, expected] of cases) {
      const { lines, bundle } = load(keys + mapping);
      assert.ok(lines.includes(expected.replace('mapping.yaml:3:', `mapping.yaml:${3 + keys.split('\n').length - 1}:`)), `${mapping}\ngot:\n${lines.join('\n')}`);
      assert.equal(bundle, undefined, 'the bundle is not served');
    }
  });
});
