/**
 * Rate limits end to end with the in-memory store (RATE_LIMIT_STORE=memory): real bridges on
 * loopback, the demo's node-soap calculator (REST facade) and JSON inventory service (SOAP
 * facade), clients told apart by the loopback address their socket is bound to.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { inventoryApp } from '../../fixtures/demo/inventory';
import { clientKey } from '../../src/ratelimit/http';
import type { RateLimitRule } from '../../src/ratelimit/rule';
import { request, startBridge, startHttp, tempDir, type TestBridge } from '../support/bridge';
import { calculatorBundle, checkStock, inventoryBundle, requestFrom, usernameToken } from '../support/ratelimit';
import { TEST_SECRETS } from '../support/secrets';

describe('rate limits (memory store)', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let inventory: Awaited<ReturnType<typeof startHttp>>;
  let inventoryCalls = 0;
  let bridge: TestBridge;
  let proxied: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let api: string;

  before(async () => {
    calc = await startCalculatorBackend(0);
    const app = inventoryApp();
    inventory = await startHttp((req, res) => {
      inventoryCalls++;
      app(req, res);
    });
    tmp = tempDir('ratelimit-memory');
    calculatorBundle(
      tmp.dir,
      'calc',
      `${calc.url}/calculator`,
      [
        'rateLimit: {requests: 3, windowMs: 60000}',
        'operations:',
        '  Add:',
        '    route: GET /add',
        '    request: {fields: {intA: query.a, intB: query.b}}',
        '  Subtract:',
        '    rateLimit: {requests: 2, windowMs: 60000}',
        '  Multiply:',
        '    rateLimit: false',
      ].join('\n'),
    );
    calculatorBundle(tmp.dir, 'byip', `${calc.url}/calculator`, 'rateLimit: {requests: 2, windowMs: 30000, by: ip}\n');
    inventoryBundle(tmp.dir, 'inv', `${inventory.url}/inventory`, 'rateLimit: {requests: 2, windowMs: 60000}');
    const soapAuth = 'soapAuth:\n  usernameToken:\n    users:\n      - {username: alice, password: "${RL_ALICE_PW}"}\n      - {username: bob, password: "${RL_BOB_PW}"}\n    passwordTypes: [text]\n';
    inventoryBundle(tmp.dir, 'authinv', `${inventory.url}/inventory`, `${soapAuth}rateLimit: {requests: 2, windowMs: 60000}`);
    inventoryBundle(tmp.dir, 'authip', `${inventory.url}/inventory`, `${soapAuth}rateLimit: {requests: 2, windowMs: 60000, by: ip}`);
    const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
    calculatorBundle(
      tmp.dir,
      'keyed',
      `${calc.url}/calculator`,
      `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${sha(TEST_SECRETS.apiKey)}"}\n      - {id: partner-b, sha256: "${sha(TEST_SECRETS.jwtSecret)}"}\nrateLimit: {requests: 2, windowMs: 60000}\n`,
    );
    const env = { RL_ALICE_PW: TEST_SECRETS.wsPassword, RL_BOB_PW: TEST_SECRETS.bodyPassword };
    bridge = await startBridge(tmp.dir, env);
    proxied = await startBridge(tmp.dir, env, { trustProxy: 'true' });
    api = `${bridge.url}/api`;
  });

  after(async () => {
    await bridge?.close();
    await proxied?.close();
    await inventory?.close();
    await calc?.close();
    tmp?.remove();
  });

  it('a socket bound to 127.0.0.2 reaches the bridge from that address (how clients are told apart here)', async () => {
    const seen: string[] = [];
    const probe = await startHttp((req, res) => {
      seen.push(req.socket.remoteAddress ?? '');
      res.end('ok');
    });
    try {
      assert.equal((await requestFrom('127.0.0.2', probe.url)).status, 200);
      assert.equal((await requestFrom('127.0.0.1', probe.url)).status, 200);
    } finally {
      await probe.close();
    }
    assert.deepEqual(seen, ['127.0.0.2', '127.0.0.1']);
  });

  it('lets N requests through with RateLimit-* headers and answers the N+1th with 429, Retry-After and the headers', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await requestFrom('127.0.0.1', `${api}/calc/add?a=2&b=${i}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { AddResult: 2 + i });
      assert.equal(r.headers['ratelimit-limit'], '3');
      assert.equal(r.headers['ratelimit-remaining'], String(2 - i));
      assert.ok(Number(r.headers['ratelimit-reset']) >= 1 && Number(r.headers['ratelimit-reset']) <= 60, String(r.headers['ratelimit-reset']));
      assert.equal(r.headers['ratelimit-policy'], '3;w=60');
    }
    const r = await requestFrom('127.0.0.1', `${api}/calc/add?a=2&b=3`);
    assert.equal(r.status, 429, r.text);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.equal(r.json.type, 'urn:soap-bridge:problem:rate-limited');
    assert.equal(r.json.status, 429);
    assert.match(r.json.detail, /limit of service "calc" is 3 per 60 s/);
    const retry = Number(r.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, String(r.headers['retry-after']));
    assert.equal(r.headers['ratelimit-limit'], '3');
    assert.equal(r.headers['ratelimit-remaining'], '0');
    assert.equal(r.headers['ratelimit-reset'], String(retry));
    // The service's budget covers its other operations too (Divide has no limit of its own).
    const d = await requestFrom('127.0.0.1', `${api}/calc/Divide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":6,"intB":3}' });
    assert.equal(d.status, 429, d.text);
  });

  it('counts another client (127.0.0.2) apart', async () => {
    const r = await requestFrom('127.0.0.2', `${api}/calc/add?a=1&b=1`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['ratelimit-remaining'], '2');
    assert.equal((await requestFrom('127.0.0.1', `${api}/calc/add?a=1&b=1`)).status, 429);
  });

  it("gives an operation with its own rateLimit a budget of its own, and exempts one with false", async () => {
    // 127.0.0.1 is over the service's limit, yet Subtract has its own 2.
    const post = (op: string, from = '127.0.0.1'): Promise<Awaited<ReturnType<typeof requestFrom>>> =>
      requestFrom(from, `${api}/calc/${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":5,"intB":3}' });
    for (let i = 0; i < 2; i++) {
      const r = await post('Subtract');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['ratelimit-limit'], '2');
    }
    const over = await post('Subtract');
    assert.equal(over.status, 429);
    assert.match(over.json.detail, /operation Subtract of service "calc" is 2 per 60 s/);
    for (let i = 0; i < 6; i++) {
      const r = await post('Multiply');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { MultiplyResult: 15 });
      assert.equal(r.headers['ratelimit-limit'], undefined);
    }
  });

  it('refuses a SOAP caller over the limit with a Client fault (1.1) / Sender fault (1.2), subcode RateLimited, Retry-After, without calling the JSON service', async () => {
    const url = `${bridge.url}/soap/inv`;
    for (let i = 0; i < 2; i++) {
      const r = await requestFrom('127.0.0.3', url, { method: 'POST', ...checkStock('1.1') });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<tns:available>15<\/tns:available>/);
      assert.equal(r.headers['ratelimit-remaining'], String(1 - i));
    }
    const callsBefore = inventoryCalls;
    const r11 = await requestFrom('127.0.0.3', url, { method: 'POST', ...checkStock('1.1') });
    assert.equal(r11.status, 500);
    assert.match(r11.headers['content-type'] ?? '', /^text\/xml/);
    assert.match(r11.text, /<faultcode>soap:Client\.RateLimited<\/faultcode>/);
    assert.match(r11.text, /<faultstring>too many requests: the limit of service "inv" is 2 per 60 s/);
    assert.match(r11.text, /<sb:type>urn:soap-bridge:problem:rate-limited<\/sb:type>/);
    assert.ok(Number(r11.headers['retry-after']) >= 1, String(r11.headers['retry-after']));
    assert.equal(r11.headers['ratelimit-remaining'], '0');
    // SOAP 1.2 from the same client: over the same budget.
    const r12 = await requestFrom('127.0.0.3', url, { method: 'POST', ...checkStock('1.2') });
    assert.equal(r12.status, 400);
    assert.match(r12.text, /<soap:Value>soap:Sender<\/soap:Value><soap:Subcode><soap:Value xmlns:sbc="urn:soap-bridge:fault">sbc:RateLimited<\/soap:Value><\/soap:Subcode>/);
    assert.ok(Number(r12.headers['retry-after']) >= 1);
    assert.equal(inventoryCalls, callsBefore, 'a refused request never reaches the JSON service');
    // Another client still gets through.
    assert.equal((await requestFrom('127.0.0.4', url, { method: 'POST', ...checkStock('1.2') })).status, 200);
  });

  it('counts a WS-Security-authenticated SOAP caller by its user name (two users on one address apart), or by address with by: ip', async () => {
    const call = (service: string, user: string, password: string): Promise<Awaited<ReturnType<typeof requestFrom>>> =>
      requestFrom('127.0.0.7', `${bridge.url}/soap/${service}`, { method: 'POST', ...checkStock('1.1', 'BOK-1001', usernameToken(user, password)) });
    const alice = (s: string): ReturnType<typeof call> => call(s, 'alice', TEST_SECRETS.wsPassword);
    const bob = (s: string): ReturnType<typeof call> => call(s, 'bob', TEST_SECRETS.bodyPassword);
    const statuses = async (calls: (() => ReturnType<typeof call>)[]): Promise<number[]> => {
      const out: number[] = [];
      for (const c of calls) out.push((await c()).status);
      return out;
    };
    // by: client (the default): alice's budget is hers, bob has his own though he comes from the same address.
    assert.deepEqual(await statuses([() => alice('authinv'), () => alice('authinv'), () => alice('authinv'), () => bob('authinv'), () => bob('authinv'), () => bob('authinv')]), [200, 200, 500, 200, 200, 500]);
    const refused = await alice('authinv');
    assert.match(refused.text, /soap:Client\.RateLimited/);
    // A wrong password is refused by authentication (not counted as alice).
    assert.match((await call('authinv', 'alice', 'wrong-password')).text, /FailedAuthentication/);
    // by: ip: one budget for the address, whoever signs in.
    assert.deepEqual(await statuses([() => alice('authip'), () => bob('authip'), () => bob('authip'), () => alice('authip')]), [200, 200, 500, 500]);
  });

  it('counts a REST caller authenticated by API key by its key id: two keys from one address apart; a refused key is answered 401, not counted', async () => {
    const add = (key?: string): Promise<Awaited<ReturnType<typeof requestFrom>>> =>
      requestFrom('127.0.0.9', `${api}/keyed/Add`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-api-key': key }) }, body: '{"intA":4,"intB":5}' });
    const a = TEST_SECRETS.apiKey;
    const b = TEST_SECRETS.jwtSecret;
    // Unauthenticated and wrong-key requests are refused by authentication first and use no budget.
    assert.equal((await add()).status, 401);
    assert.equal((await add('not-a-configured-key')).status, 401);
    const first = await add(a);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json, { AddResult: 9 });
    assert.equal(first.headers['ratelimit-remaining'], '1');
    assert.equal((await add(a)).status, 200);
    const over = await add(a);
    assert.equal(over.status, 429, over.text);
    // partner-b comes from the same address and has its own budget.
    assert.equal((await add(b)).status, 200);
    assert.equal((await add(b)).status, 200);
    assert.equal((await add(b)).status, 429);
    // Still 401 (not 429) without a key: authentication answers before the limit is looked at.
    assert.equal((await add()).status, 401);
  });

  it('counts refusals in soap_bridge_rate_limited_total{service}', async () => {
    const text = (await request(`${bridge.url}/metrics`)).text;
    const count = (service: string): number => Number(new RegExp(`^soap_bridge_rate_limited_total\\{service="${service}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    assert.equal(count('calc'), 4, text.split('\n').filter((l) => l.includes('rate_limited')).join('\n'));
    assert.equal(count('inv'), 2);
  });

  it('with TRUST_PROXY, counts by the last X-Forwarded-For address (the proxy-added one); a forged first entry changes nothing', async () => {
    const url = `${proxied.url}/api/byip/Add`;
    const call = (xff: string): Promise<Awaited<ReturnType<typeof requestFrom>>> =>
      requestFrom('127.0.0.1', url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: '{"intA":1,"intB":2}' });
    assert.equal((await call('203.0.113.9, 198.51.100.1')).status, 200);
    assert.equal((await call('192.0.2.77, 198.51.100.1')).status, 200);
    const over = await call('10.9.9.9, 198.51.100.1');
    assert.equal(over.status, 429);
    assert.equal(over.headers['ratelimit-policy'], '2;w=30');
    // Another client behind the proxy.
    assert.equal((await call('203.0.113.9, 198.51.100.2')).status, 200);
    // Without TRUST_PROXY the header is ignored: every call below is the one loopback client.
    const plain = `${bridge.url}/api/byip/Add`;
    const statuses: number[] = [];
    for (const xff of ['198.51.100.3', '198.51.100.4', '198.51.100.5']) {
      statuses.push((await requestFrom('127.0.0.5', plain, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: '{"intA":1,"intB":2}' })).status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it('keys a caller by its principal when authenticated (by: client), by its address otherwise or with by: ip', async () => {
    const client: RateLimitRule = { service: 's', requests: 1, windowMs: 1000, by: 'client' };
    const ip: RateLimitRule = { ...client, by: 'ip' };
    const keys: string[][] = [];
    const server = http.createServer((req, res) => {
      keys.push([clientKey(client, req, 'alice', false), clientKey(client, req, undefined, false), clientKey(ip, req, 'alice', false), clientKey(ip, req, 'alice', true)]);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      await requestFrom('127.0.0.6', `http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-for': '2001:db8::1' } });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    // An IPv6 address is counted by its /64 (test/ratelimit/ipv6-review.test.ts).
    assert.deepEqual(keys, [['p:alice', 'ip:127.0.0.6', 'ip:127.0.0.6', 'ip:2001:db8:0:0::/64']]);
  });
});
