/**
 * Review fixes of the Redis store (src/ratelimit/limits.ts), with a real redis-server on a free
 * loopback port (password from TEST_SECRETS) and a real bridge:
 * - the authFailures pre-check (a GET of the address's count) on a Redis that hangs: like a
 *   rate-limit count, it costs one request the command timeout, then the bridge warns and
 *   reconnects (before the fix, the fallback of a GET was silent: no warning, no reconnection,
 *   so every request of a service with `auth` and no `rateLimit` waited the 1 s timeout).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { freePort, startBridge, tempDir, type TestBridge } from '../support/bridge';
import { calculatorBundle, requestFrom } from '../support/ratelimit';
import { RedisServer, requireRedisServer, waitFor } from '../support/redis';
import { TEST_SECRETS } from '../support/secrets';

const OUTAGE = /^rate limits: redis (unreachable|not answering)/;

describe('rate limits (redis store): review fixes', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let tmp: ReturnType<typeof tempDir>;
  let redis: RedisServer;
  let bridge: TestBridge;
  const lines = (message: RegExp): Record<string, unknown>[] => bridge.log.lines.filter((l) => typeof l.message === 'string' && message.test(l.message));
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
});
