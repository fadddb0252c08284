/**
 * Review fixes of the Redis store (src/ratelimit/limits.ts), with a real redis-server on a free
 * loopback port (password from TEST_SECRETS) and a real bridge:
 * - the authFailures pre-check (a GET of the address's count) on a Redis that hangs: like a
 *   rate-limit count, it costs one request the command timeout, then the bridge warns and
 *   reconnects (before the fix, the fallback of a GET was silent: no warning, no reconnection,
 *   so every request of a service with `auth` and no `rateLimit` waited the 1 s timeout);
 * - a Redis that answers with errors (full: OOM under maxmemory noeviction): counted in memory,
 *   one warning, no reconnection (before the fix, every refused command dropped the connection
 *   and logged a "not answering" warning and a "reachable" line: a reconnect and log storm).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { freePort, startBridge, tempDir, type TestBridge } from '../support/bridge';
import { calculatorBundle, requestFrom } from '../support/ratelimit';
import { RedisServer, redisProbe, requireRedisServer, waitFor } from '../support/redis';
import { TEST_SECRETS } from '../support/secrets';

const OUTAGE = /^rate limits: redis (unreachable|not answering)/;

describe('rate limits (redis store): review fixes', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let tmp: ReturnType<typeof tempDir>;
  let redis: RedisServer;
  let bridge: TestBridge;
  const lines = (message: RegExp): Record<string, unknown>[] => bridge.log.lines.filter((l) => typeof l.message === 'string' && message.test(l.message));
  const add = (from: string): ReturnType<typeof requestFrom> =>
    requestFrom(from, `${bridge.url}/api/calc/Add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"intA":1,"intB":2}' });
  const keyed = (from: string): ReturnType<typeof requestFrom> =>
    requestFrom(from, `${bridge.url}/api/keyed/Add`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_SECRETS.apiKey }, body: '{"intA":1,"intB":2}' });

  before(async function () {
    requireRedisServer(this);
    calc = await startCalculatorBackend(0);
    tmp = tempDir('ratelimit-redis-review');
    fs.mkdirSync(`${tmp.dir}/redis`);
    const keyHash = createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex');
    // auth (so authFailures is on by default) and no rateLimit: the pre-check is the only Redis command of a good request.
    calculatorBundle(`${tmp.dir}/services`, 'keyed', `${calc.url}/calculator`, `auth:\n  apiKeys:\n    keys:\n      - {id: partner-a, sha256: "${keyHash}"}\n`);
    calculatorBundle(`${tmp.dir}/services`, 'calc', `${calc.url}/calculator`, 'rateLimit: {requests: 100, windowMs: 60000}\n');
    redis = new RedisServer(await freePort(), `${tmp.dir}/redis`);
    await redis.start();
    bridge = await startBridge(`${tmp.dir}/services`, {}, { rateLimitStore: 'redis', redisUrl: redis.url, rateLimitPrefix: 'rlreview' });
  });

  after(async () => {
    redis?.resume();
    await bridge?.close();
    await redis?.kill();
    await calc?.close();
    tmp?.remove();
  });

  it('a hanging Redis under the authFailures pre-check: one warning, a reconnection, and shared again once Redis answers', async () => {
    await waitFor('redis ready', 10000, () => lines(/^rate limits: redis reachable/).length === 1);
    assert.equal((await keyed('127.0.0.1')).status, 200);
    assert.equal(lines(OUTAGE).length, 0);
    redis.pause();
    try {
      // The first request waits for the command timeout and is let through on the per-process count.
      const first = await keyed('127.0.0.1');
      assert.equal(first.status, 200, first.text);
      const warned = lines(OUTAGE);
      assert.equal(warned.length, 1, 'the timed-out GET is reported like a timed-out count');
      assert.match(String(warned[0].message), /not answering within 1000 ms/);
      // The connection was dropped: the next requests do not ask the hanging Redis again.
      for (let i = 0; i < 3; i++) assert.equal((await keyed('127.0.0.1')).status, 200);
      assert.equal(lines(OUTAGE).length, 1, 'one warning per outage');
    } finally {
      redis.resume();
    }
    await waitFor('the reconnection', 20000, () => lines(/^rate limits: redis reachable/).length === 2);
    assert.equal((await keyed('127.0.0.1')).status, 200);
  });

  it('a Redis that refuses commands (out of memory): counted per process, one warning, the connection kept (no reconnect storm), shared again once it accepts', async () => {
    const probe = redisProbe(redis.port);
    try {
      const bridgeClients = async (): Promise<string[]> => {
        const me = String(await probe.call('CLIENT', 'ID'));
        const list = String(await probe.call('CLIENT', 'LIST'));
        return list.split('\n').map((l) => /(?:^|\s)id=(\d+)/.exec(l)?.[1]).filter((id): id is string => id !== undefined && id !== me).sort();
      };
      await waitFor('the bridge connected', 10000, async () => (await bridgeClients()).length === 1);
      assert.equal((await add('127.0.0.20')).status, 200);
      assert.equal(await probe.get('rlreview:calc:*:ip:127.0.0.20'), '1');
      const clients = await bridgeClients();
      assert.equal(clients.length, 1, 'one connection from the bridge');
      const reachableBefore = lines(/^rate limits: redis reachable/).length;
      const mark = bridge.log.lines.length;
      await probe.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await probe.call('CONFIG', 'SET', 'maxmemory', '1');
      try {
        for (let i = 0; i < 5; i++) {
          const r = await add('127.0.0.21');
          assert.equal(r.status, 200, r.text);
          assert.equal(r.headers['ratelimit-remaining'], String(99 - i), 'counted per process');
        }
        const outage = bridge.log.lines.slice(mark).filter((l) => /^rate limits: redis (refuses|not answering|unreachable)/.test(String(l.message)));
        assert.deepEqual(outage.map((l) => l.message), [
          'rate limits: redis refuses commands; counting per instance while it does',
        ]);
        assert.match(String(outage[0].error), /OOM/);
        assert.deepEqual(await bridgeClients(), clients, 'the same connection: no reconnection');
        assert.equal(lines(/^rate limits: redis reachable/).length, reachableBefore);
      } finally {
        await probe.call('CONFIG', 'SET', 'maxmemory', '0');
      }
      // Redis takes commands again: counted there at once, on the same connection.
      assert.equal((await add('127.0.0.22')).status, 200);
      assert.equal(await probe.get('rlreview:calc:*:ip:127.0.0.22'), '1');
      assert.deepEqual(await bridgeClients(), clients);
    } finally {
      probe.disconnect();
    }
  });
});
