/**
 * Inbound WS-Security (`soapAuth`) with the replay cache shared through Redis
 * (RATE_LIMIT_STORE=redis): two bridges in front of the demo inventory JSON service and one real
 * redis-server (password from TEST_SECRETS). A UsernameToken envelope accepted by bridge A is
 * refused by bridge B (wsse:FailedAuthentication); fresh tokens pass on both; the keys hold no
 * token bytes and expire with the window; with Redis killed both keep answering, each still
 * refuses the replays it has seen, and warns once; with Redis back the cache is shared again.
 * The same across the workers of `serve --workers 2`. The WS-Security passwords (TEST_SECRETS) never reach a log, a key or a value. Skipped when
 * redis-server is not installed, unless CI is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import type { DemoBackend } from '../../fixtures/demo/backends';
import { passwordDigest, PASSWORD_DIGEST, WSSE_NS, WSU_NS } from '../../src/soap/wssecurity';
import { freePort, request, startBridge, tempDir, type Reply, type TestBridge } from '../support/bridge';
import { spawnCli } from '../support/child';
import { checkStock, inventoryBundle } from '../support/ratelimit';
import { RedisServer, redisProbe, requireRedisServer, waitFor } from '../support/redis';
import { TEST_SECRETS } from '../support/secrets';

const PREFIX = 'wsstest';
const OUTAGE = /^soapAuth: redis unavailable/;
const REACHABLE = /^rate limits: redis reachable/;

/** A CheckStock envelope with a PasswordDigest UsernameToken (a fresh nonce; Created `ageSec` ago). */
function signed(user: string, password: string, ageSec = 0): { headers: Record<string, string>; body: string; nonce: Buffer; digest: string } {
  const nonce = randomBytes(16);
  const created = new Date(Date.now() - ageSec * 1000).toISOString();
  const digest = passwordDigest(nonce, created, password);
  const header =
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"><wsse:UsernameToken><wsse:Username>${user}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${digest}</wsse:Password><wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  return { ...checkStock('1.1', 'PEN-2002', header), nonce, digest };
}

/** The WS-Security fault of a SOAP 1.1 reply (`500 FailedAuthentication`), or `200` for an answer. */
function outcome(r: Reply): string {
  if (r.status === 200) return '200';
  const m = /<faultcode[^>]*>wsse:(\w+)<\/faultcode>/.exec(r.text);
  return m ? `${r.status} ${m[1]}` : `${r.status} ${r.text.slice(0, 300)}`;
}

describe('SOAP facade: soapAuth replay cache shared through Redis', function () {
  this.timeout(60000);
  let inventory: DemoBackend;
  let tmp: ReturnType<typeof tempDir>;
  let redis: RedisServer;
  let probe: Redis;
  let a: TestBridge;
  let b: TestBridge;
  const env = { SOAP_CLIENT_PASSWORD: TEST_SECRETS.wsPassword, SOAP_SHORT_PASSWORD: TEST_SECRETS.bodyPassword };
  const send = (bridge: TestBridge, service: string, e: { headers: Record<string, string>; body: string }): Promise<string> =>
    request(`${bridge.url}/soap/${service}`, { method: 'POST', headers: e.headers, body: e.body }).then(outcome);
  const lines = (bridge: TestBridge, re: RegExp): Record<string, unknown>[] => bridge.log.lines.filter((l) => typeof l.message === 'string' && re.test(l.message));

  before(async function () {
    requireRedisServer(this);
    inventory = await startInventoryBackend(0);
    tmp = tempDir('soap-auth-redis');
    fs.mkdirSync(`${tmp.dir}/redis`);
    const backend = `http://127.0.0.1:${inventory.port}/inventory`;
    inventoryBundle(`${tmp.dir}/services`, 'inventory', backend, 'soapAuth:\n  usernameToken:\n    users:\n      - { username: alice, password: "${SOAP_CLIENT_PASSWORD}" }\n    maxAgeSec: 300\n');
    // A window of 2 s: its keys expire within the test.
    inventoryBundle(`${tmp.dir}/services`, 'short', backend, 'soapAuth:\n  usernameToken:\n    users:\n      - { username: bob, password: "${SOAP_SHORT_PASSWORD}" }\n    maxAgeSec: 2\n    clockSkewSec: 1\n');
    redis = new RedisServer(await freePort(), `${tmp.dir}/redis`);
    await redis.start();
    probe = redisProbe(redis.port);
    const overrides = { rateLimitStore: 'redis', redisUrl: redis.url, rateLimitPrefix: PREFIX };
    a = await startBridge(`${tmp.dir}/services`, env, overrides);
    b = await startBridge(`${tmp.dir}/services`, env, overrides);
  });

  after(async () => {
    for (const x of [a, b]) await x?.close();
    probe?.disconnect();
    await redis?.kill();
    await inventory?.close();
    tmp?.remove();
  });

  it('refuses on bridge B the envelope bridge A accepted (wsse:FailedAuthentication), and on A again', async () => {
    const e = signed('alice', TEST_SECRETS.wsPassword);
    assert.equal(await send(a, 'inventory', e), '200');
    assert.equal(await send(b, 'inventory', e), '500 FailedAuthentication');
    assert.equal(await send(a, 'inventory', e), '500 FailedAuthentication');
    await waitFor('the replay warning on B', 5000, () => lines(b, /^WS-Security refused: nonce already used \(replay\)/).length === 1);
    assert.equal(lines(b, /^WS-Security refused/)[0].username, 'alice');
  });

  it('lets fresh tokens through on both bridges, each once', async () => {
    for (const bridge of [a, b, b, a]) assert.equal(await send(bridge, 'inventory', signed('alice', TEST_SECRETS.wsPassword)), '200');
    const e = signed('alice', TEST_SECRETS.wsPassword);
    assert.equal(await send(b, 'inventory', e), '200');
    assert.equal(await send(a, 'inventory', e), '500 FailedAuthentication');
  });

  it('refuses a wrong password before remembering anything: no key for an unauthenticated caller', async () => {
    const before = (await probe.keys(`${PREFIX}:wss-nonce:*`)).length;
    const e = signed('alice', TEST_SECRETS.bodyPassword);
    assert.equal(await send(a, 'inventory', e), '500 FailedAuthentication');
    assert.equal((await probe.keys(`${PREFIX}:wss-nonce:*`)).length, before);
  });

  it('keeps each nonce until Created + maxAgeSec: keys hold no token bytes, and expire', async () => {
    const old = signed('alice', TEST_SECRETS.wsPassword, 100);
    const keysBefore = new Set(await probe.keys(`${PREFIX}:wss-nonce:*`));
    assert.equal(await send(a, 'inventory', old), '200');
    const added = (await probe.keys(`${PREFIX}:wss-nonce:*`)).filter((k) => !keysBefore.has(k));
    assert.equal(added.length, 1);
    const pttl = await probe.pttl(added[0]);
    // Created 100 s ago, a window of 300 s: at most 200 s left.
    assert.ok(pttl > 0 && pttl <= 200_000, `PTTL ${pttl}`);
    const all = await probe.keys(`${PREFIX}:*`);
    for (const k of all) {
      // Nonce keys, and the failed-authentication counts of addresses (authFailures, on by default with soapAuth).
      assert.match(k, /^wsstest:(wss-nonce:[0-9a-f]{64}|[a-z]+:!authfail:127\.0\.0\.1)$/);
      const v = await probe.get(k);
      if (k.includes(':wss-nonce:')) assert.equal(v, '1');
      else assert.match(String(v), /^\d+$/);
      for (const s of [TEST_SECRETS.wsPassword, TEST_SECRETS.bodyPassword, 'alice', old.nonce.toString('base64'), old.digest]) assert.ok(!k.includes(s), `${s} in a key`);
    }
    // The 2 s window of `short`: its key is gone within a bounded wait, the bundle's replay is then too old anyway.
    const e = signed('bob', TEST_SECRETS.bodyPassword);
    const before = new Set(await probe.keys(`${PREFIX}:wss-nonce:*`));
    assert.equal(await send(a, 'short', e), '200');
    assert.equal(await send(b, 'short', e), '500 FailedAuthentication');
    const key = (await probe.keys(`${PREFIX}:wss-nonce:*`)).find((k) => !before.has(k));
    assert.ok(key);
    await waitFor('the key of the 2 s window to expire', 15000, async () => (await probe.exists(key)) === 0);
  });

  it('keeps answering when Redis dies: each bridge still refuses replays it has seen and warns once; shared again once Redis is back', async () => {
    const reachable = [a, b].map((x) => lines(x, REACHABLE).length);
    await redis.kill();
    for (const bridge of [a, b]) {
      const e = signed('alice', TEST_SECRETS.wsPassword);
      assert.equal(await send(bridge, 'inventory', e), '200');
      assert.equal(await send(bridge, 'inventory', e), '500 FailedAuthentication', 'the local check still refuses');
      for (let i = 0; i < 3; i++) assert.equal(await send(bridge, 'inventory', signed('alice', TEST_SECRETS.wsPassword)), '200');
      const warned = lines(bridge, OUTAGE);
      assert.equal(warned.length, 1, 'one warning per outage');
      assert.equal(warned[0].level, 'warn');
    }
    await redis.start();
    for (const [i, bridge] of [a, b].entries()) await waitFor('the reconnection', 20000, () => lines(bridge, REACHABLE).length === reachable[i] + 1);
    const e = signed('alice', TEST_SECRETS.wsPassword);
    assert.equal(await send(a, 'inventory', e), '200');
    assert.equal(await send(b, 'inventory', e), '500 FailedAuthentication', 'shared again');
    for (const bridge of [a, b]) assert.equal(lines(bridge, /^soapAuth: redis answers again/).length, 1);
  });

  it('refuses replays across the workers of serve --workers 2', async () => {
    const port = await freePort();
    const cli = spawnCli(['serve', '--services', `${tmp.dir}/services`, '--port', String(port), '--host', '127.0.0.1', '--workers', '2', '--no-watch'], {
      env: { ...env, RATE_LIMIT_STORE: 'redis', REDIS_URL: redis.url, RATE_LIMIT_PREFIX: 'wsscluster', SHUTDOWN_GRACE_MS: '2000', BREAKER_FAILURES: '0' },
    });
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor('two workers connected to Redis and serving', 20000, async () => {
        if (cli.proc.exitCode !== null) throw new Error(`serve exited: ${cli.stderr.join('')}${cli.stdout.join('')}`);
        const up = cli.stdout.join('').split('\n').filter((l) => l.includes('rate limits: redis reachable')).length;
        return up === 2 && (await request(`${url}/readyz`, { timeoutMs: 1000 }).catch(() => ({ status: 0 }))).status === 200;
      });
      // Each envelope twice, on new connections, the pairs five at a time: the primary hands connections to the workers in turn.
      const envelopes = Array.from({ length: 5 }, () => signed('alice', TEST_SECRETS.wsPassword));
      const post = (e: { headers: Record<string, string>; body: string }): Promise<string> => request(`${url}/soap/inventory`, { method: 'POST', headers: e.headers, body: e.body }).then(outcome);
      const answers = await Promise.all(envelopes.map(async (e) => [await post(e), await post(e)].join(' / ')));
      assert.deepEqual(answers, envelopes.map(() => '200 / 500 FailedAuthentication'));
      await waitFor('ten access lines', 10000, () => cli.stdout.join('').split('\n').filter((l) => l.includes('"message":"access"') && l.includes('/soap/inventory')).length === 10);
      const workers = new Set(
        cli.stdout
          .join('')
          .split('\n')
          .filter((l) => l.includes('"message":"access"') && l.includes('/soap/inventory'))
          .map((l) => (JSON.parse(l) as { worker?: unknown }).worker),
      );
      console.log(`      (the ten calls were served by ${workers.size} worker(s))`);
      assert.equal((await probe.keys('wsscluster:wss-nonce:*')).length, 5);
    } finally {
      cli.proc.kill('SIGTERM');
      exited = await Promise.race([cli.exit, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15000))]);
      if (!exited) cli.proc.kill('SIGKILL');
    }
    assert.deepEqual(exited, { code: 0, signal: null });
  });

  it('never logs the WS-Security passwords or digests', () => {
    for (const bridge of [a, b]) {
      const text = JSON.stringify(bridge.log.lines);
      for (const s of [TEST_SECRETS.wsPassword, TEST_SECRETS.bodyPassword, TEST_SECRETS.redisPassword]) assert.ok(!text.includes(s));
    }
  });
});
