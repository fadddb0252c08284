/**
 * Rate limits shared through Redis (RATE_LIMIT_STORE=redis): a real redis-server on a free
 * loopback port (with a password from TEST_SECRETS, so the secrets guard checks it never reaches
 * a log), two bridges sharing one limit, Redis killed mid-run (the bridges keep answering with
 * per-instance limits and warn once), Redis back (shared again), start-up with Redis down, and
 * the connection closed on shutdown. Skipped when redis-server is not installed, unless CI is set.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { freePort, request, startBridge, tempDir, type TestBridge } from '../support/bridge';
import { spawnCli } from '../support/child';
import { calculatorBundle, requestFrom } from '../support/ratelimit';
import { REDIS_PASSWORD, RedisServer, redisProbe, requireRedisServer, waitFor } from '../support/redis';
import { TEST_SECRETS } from '../support/secrets';

const PASSWORD = REDIS_PASSWORD;
/** The warning of an outage: the connection lost (or, if a command failed first, Redis not answering). */
const OUTAGE = /^rate limits: redis (unreachable|not answering)/;

describe('rate limits (redis store)', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let tmp: ReturnType<typeof tempDir>;
  let redis: RedisServer;
  let probe: Redis;
  let a: TestBridge;
  let b: TestBridge;
  let redisUrl: string;
  const extra: TestBridge[] = [];
  const overrides = (): Record<string, string> => ({ rateLimitStore: 'redis', redisUrl, rateLimitPrefix: 'rltest' });
  const add = (bridge: TestBridge, from: string): Promise<Awaited<ReturnType<typeof requestFrom>>> => requestFrom(from, `${bridge.url}/api/calc/Add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":1,"intB":2}' });
  const lines = (bridge: TestBridge, message: RegExp): Record<string, unknown>[] => bridge.log.lines.filter((l) => typeof l.message === 'string' && message.test(l.message));

  before(async function () {
    requireRedisServer(this);
    calc = await startCalculatorBackend(0);
    tmp = tempDir('ratelimit-redis');
    fs.mkdirSync(`${tmp.dir}/redis`);
    calculatorBundle(`${tmp.dir}/services`, 'calc', `${calc.url}/calculator`, 'rateLimit: {requests: 4, windowMs: 60000}\n');
    const keyHash = createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex');
    calculatorBundle(`${tmp.dir}/services`, 'keyed', `${calc.url}/calculator`, `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${keyHash}"}\nauthFailures: {attempts: 3, windowMs: 60000}\n`);
    redis = new RedisServer(await freePort(), `${tmp.dir}/redis`);
    await redis.start();
    redisUrl = redis.url;
    probe = redisProbe(redis.port);
    a = await startBridge(`${tmp.dir}/services`, {}, overrides());
    b = await startBridge(`${tmp.dir}/services`, {}, overrides());
  });

  after(async () => {
    redis?.resume();
    for (const x of [a, b, ...extra]) await x?.close();
    probe?.disconnect();
    await redis?.kill();
    await calc?.close();
    tmp?.remove();
  });

  it('two bridges share one limit: N requests spread over both pass, the N+1th is refused on either', async () => {
    const remaining: string[] = [];
    for (const bridge of [a, b, a, b]) {
      const r = await add(bridge, '127.0.0.1');
      assert.equal(r.status, 200, r.text);
      remaining.push(String(r.headers['ratelimit-remaining']));
    }
    assert.deepEqual(remaining, ['3', '2', '1', '0']);
    for (const bridge of [a, b]) {
      const r = await add(bridge, '127.0.0.1');
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    // Another client has its own count, in its own key under the prefix and the service.
    assert.equal((await add(b, '127.0.0.2')).status, 200);
    const keys = (await probe.keys('rltest:*')).sort();
    assert.deepEqual(keys, ['rltest:calc:*:ip:127.0.0.1', 'rltest:calc:*:ip:127.0.0.2']);
    assert.equal(await probe.get('rltest:calc:*:ip:127.0.0.1'), '6');
  });

  it('two bridges share the failed-authentication count of an address (authFailures): failures on either block it on both', async () => {
    const keyed = (bridge: TestBridge, from: string, key: string): Promise<Awaited<ReturnType<typeof requestFrom>>> =>
      requestFrom(from, `${bridge.url}/api/keyed/Add`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{"intA":1,"intB":2}' });
    // Wrong keys (a TEST_SECRETS value, so the secrets guard checks it is never logged) spread over both bridges.
    for (const bridge of [a, b, a]) assert.equal((await keyed(bridge, '127.0.0.3', TEST_SECRETS.bearer)).status, 401);
    for (const bridge of [b, a]) {
      const r = await keyed(bridge, '127.0.0.3', TEST_SECRETS.apiKey);
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    assert.equal((await keyed(b, '127.0.0.4', TEST_SECRETS.apiKey)).status, 200);
    assert.equal(await probe.get('rltest:keyed:!authfail:127.0.0.3'), '3');
    // One warning for the block, on the bridge whose refusal spent the budget.
    const blocked = [...lines(a, /^authentication failures: address blocked$/), ...lines(b, /^authentication failures: address blocked$/)];
    assert.equal(blocked.length, 1, JSON.stringify(blocked));
    assert.equal(blocked[0].address, '127.0.0.3');
  });

  it('logs that Redis is reachable, with the password hidden', () => {
    for (const bridge of [a, b]) {
      const up = lines(bridge, /^rate limits: redis reachable/);
      assert.equal(up.length, 1, JSON.stringify(bridge.log.lines.filter((l) => String(l.message).startsWith('rate limits'))));
      assert.equal(up[0].redis, `redis://:***@127.0.0.1:${redis.port}`);
    }
  });

  it('closes its Redis connection on shutdown', async () => {
    const clients = async (): Promise<number> => String(await probe.client('LIST')).trim().split('\n').length;
    const before = await clients();
    const c = await startBridge(`${tmp.dir}/services`, {}, overrides());
    await waitFor('the new bridge to connect', 5000, async () => (await clients()) === before + 1);
    await c.close();
    await waitFor('the bridge to close its connection', 5000, async () => (await clients()) === before);
  });

  it('gives one limit across the workers of serve --workers 2, and the workers close their connections on SIGTERM', async () => {
    const clients = async (): Promise<number> => String(await probe.client('LIST')).trim().split('\n').length;
    const baseline = await clients();
    const port = await freePort();
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const cli = spawnCli(['serve', '--services', `${tmp.dir}/services`, '--port', String(port), '--host', '127.0.0.1', '--workers', '2', '--no-watch'], {
      env: { RATE_LIMIT_STORE: 'redis', REDIS_URL: redisUrl, RATE_LIMIT_PREFIX: 'rlcluster', SHUTDOWN_GRACE_MS: '2000', BREAKER_FAILURES: '0' },
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor('two workers connected to Redis and serving', 20000, async () => {
        if (cli.proc.exitCode !== null) throw new Error(`serve exited: ${cli.stderr.join('')}${cli.stdout.join('')}`);
        const up = cli.stdout.join('').split('\n').filter((l) => l.includes('rate limits: redis reachable')).length;
        return up === 2 && (await request(`${url}/readyz`, { timeoutMs: 1000 }).catch(() => ({ status: 0 }))).status === 200;
      });
      // Ten calls on new connections, five at a time: the primary hands connections to the workers in turn.
      const statuses: number[] = [];
      for (let batch = 0; batch < 2; batch++) {
        const replies = await Promise.all(Array.from({ length: 5 }, () => requestFrom('127.0.0.8', `${url}/api/calc/Add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":1,"intB":2}' })));
        statuses.push(...replies.map((r) => r.status));
      }
      assert.deepEqual([...statuses].sort(), [200, 200, 200, 200, 429, 429, 429, 429, 429, 429], cli.stdout.join(''));
      const workers = (): Set<unknown> =>
        new Set(
          cli.stdout
            .join('')
            .split('\n')
            .filter((l) => l.includes('"message":"access"') && l.includes('/api/calc/Add'))
            .map((l) => (JSON.parse(l) as { worker?: unknown }).worker),
        );
      await waitFor('ten access lines', 10000, () => cli.stdout.join('').split('\n').filter((l) => l.includes('"message":"access"') && l.includes('/api/calc/Add')).length === 10);
      console.log(`      (the ten calls were served by ${workers().size} worker(s))`);
      assert.equal(await probe.get('rlcluster:calc:*:ip:127.0.0.8'), '10');
    } finally {
      cli.proc.kill('SIGTERM');
      exited = await Promise.race([cli.exit, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15000))]);
      if (!exited) cli.proc.kill('SIGKILL');
    }
    assert.deepEqual(exited, { code: 0, signal: null });
    await waitFor('the workers to close their Redis connections', 5000, async () => (await clients()) === baseline);
  });

  it('keeps answering when Redis dies (per-instance limits), warns once per bridge, and shares the limit again once Redis is back', async () => {
    await redis.kill();
    // Requests go on: each bridge counts in memory now (4 each for a new client).
    for (const bridge of [a, b]) {
      for (let i = 0; i < 4; i++) {
        const r = await add(bridge, '127.0.0.3');
        assert.equal(r.status, 200, r.text);
      }
      assert.equal((await add(bridge, '127.0.0.3')).status, 429);
    }
    for (const bridge of [a, b]) {
      await waitFor('the outage warning', 10000, () => lines(bridge, OUTAGE).length > 0);
      for (let i = 0; i < 3; i++) assert.equal((await add(bridge, '127.0.0.4')).status, 200);
      const warnings = lines(bridge, OUTAGE);
      assert.equal(warnings.length, 1, 'one warning per outage, not per request');
      assert.equal(warnings[0].level, 'warn');
      assert.equal((await request(`${bridge.url}/healthz`)).status, 200);
    }

    await redis.start();
    for (const bridge of [a, b]) await waitFor('the reconnection', 20000, () => lines(bridge, /^rate limits: redis reachable/).length === 2);
    const statuses: number[] = [];
    for (const bridge of [b, a, b, a, b, a]) statuses.push((await add(bridge, '127.0.0.5')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    assert.equal(await probe.get('rltest:calc:*:ip:127.0.0.5'), '6');
  });

  it('when Redis hangs, falls back after one timed-out command, warns once, and shares again once it answers', async () => {
    const warnedBefore = [a, b].map((x) => lines(x, OUTAGE).length);
    const upBefore = [a, b].map((x) => lines(x, /^rate limits: redis reachable/).length);
    redis.pause();
    try {
      for (const bridge of [a, b]) {
        // Per instance while Redis hangs: 4 each.
        for (let i = 0; i < 4; i++) assert.equal((await add(bridge, '127.0.0.9')).status, 200);
        assert.equal((await add(bridge, '127.0.0.9')).status, 429);
      }
      [a, b].forEach((x, i) => assert.equal(lines(x, OUTAGE).length, warnedBefore[i] + 1, 'one warning per bridge'));
      assert.match(String(lines(a, OUTAGE).at(-1)!.message), /not answering within 1000 ms/);
    } finally {
      redis.resume();
    }
    for (const [i, bridge] of [a, b].entries()) await waitFor('the reconnection', 20000, () => lines(bridge, /^rate limits: redis reachable/).length === upBefore[i] + 1);
    const statuses: number[] = [];
    for (const bridge of [a, b, a, b, a]) statuses.push((await add(bridge, '127.0.0.10')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
  });

  it('starts without waiting more than a bounded time when Redis is down, and serves with per-instance limits', async () => {
    const port = await freePort(); // nothing listens there
    const started = performance.now();
    const c = await startBridge(`${tmp.dir}/services`, {}, { ...overrides(), redisUrl: `redis://:${PASSWORD}@127.0.0.1:${port}` });
    extra.push(c);
    const ms = performance.now() - started;
    console.log(`      (start-up with Redis down took ${Math.round(ms)} ms)`);
    const warned = lines(c, /^rate limits: redis not reachable within/);
    assert.equal(warned.length, 1);
    assert.equal(warned[0].redis, `redis://:***@127.0.0.1:${port}`);
    const r = await add(c, '127.0.0.6');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['ratelimit-remaining'], '3');
  });
});
