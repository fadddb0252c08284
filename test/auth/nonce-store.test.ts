/**
 * The shared replay cache (src/auth/wss/nonce-store.ts) against a real redis-server, through the
 * rate limiter's real connection (RateLimits, RATE_LIMIT_STORE=redis): one SET NX PX per token,
 * keys that hold no token bytes and expire with the window, the per-process cache consulted
 * first and kept as the fallback while Redis is down or hangs (one warning per outage), and
 * sharing again once Redis is back. Skipped when redis-server is not installed, unless CI is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import { NonceCache } from '../../src/auth/wss/nonce-cache';
import { rememberNonce, SharedNonces, sharedNoncesFor } from '../../src/auth/wss/nonce-store';
import type { Authenticated } from '../../src/auth/wss/verify';
import { BridgeError } from '../../src/errors/catalogue';
import { createLogger } from '../../src/log';
import { RateLimits } from '../../src/ratelimit/limits';
import { captureLog, freePort, tempDir, type LogCapture } from '../support/bridge';
import { RedisServer, redisProbe, requireRedisServer, waitFor } from '../support/redis';
import { TEST_SECRETS } from '../support/secrets';

const PREFIX = 'nstest';
const OUTAGE = /^soapAuth: redis unavailable/;
const BACK = /^soapAuth: redis answers again/;

/** An authenticated token of `user` with a fresh random nonce, valid `windowMs` from `now`. */
function token(user: string, now: number, windowMs = 300_000): Authenticated {
  const value = randomBytes(16);
  return { principal: user, nonce: { key: `${user}\n${value.toString('base64')}`, username: user, value, until: now + windowMs } };
}

/** The refusal `rememberNonce` throws, as `CODE wsse:Fault` (or 'accepted'). */
async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (!(e instanceof BridgeError)) throw e;
    const q = (e.extra as { faultQName?: { local: string } } | undefined)?.faultQName;
    return `${e.code}${q ? ` ${q.local}` : ''}`;
  }
}

describe('soapAuth replay cache shared through Redis (nonce-store)', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  let redis: RedisServer;
  let probe: Redis;
  let limits: RateLimits;
  let log: LogCapture;
  let shared: SharedNonces;
  /** Waits (bounded) until Redis takes a nonce again. */
  const sharedAgain = (): Promise<void> => waitFor('Redis to answer again', 20000, async () => (await shared.remember('probe', randomBytes(16), 1000)) !== 'unavailable');
  const lines = (re: RegExp): Record<string, unknown>[] => log.lines.filter((l) => typeof l.message === 'string' && re.test(l.message));

  before(async function () {
    requireRedisServer(this);
    tmp = tempDir('nonce-store');
    fs.mkdirSync(`${tmp.dir}/redis`);
    redis = new RedisServer(await freePort(), `${tmp.dir}/redis`);
    await redis.start();
    probe = redisProbe(redis.port);
    log = captureLog();
    limits = await RateLimits.create({ rateLimitStore: 'redis', redisUrl: redis.url, rateLimitPrefix: PREFIX }, createLogger({ level: 'info', stream: log.stream }));
    shared = sharedNoncesFor(limits, createLogger({ level: 'info', stream: log.stream }))!;
  });

  after(async () => {
    redis?.resume();
    await limits?.close();
    probe?.disconnect();
    await redis?.kill();
    tmp?.remove();
  });

  it('is there only with the redis store, one per store', async () => {
    assert.ok(shared instanceof SharedNonces);
    assert.equal(sharedNoncesFor(limits, createLogger({ level: 'error', stream: log.stream })), shared);
    const memory = await RateLimits.create({ rateLimitStore: 'memory', redisUrl: '', rateLimitPrefix: PREFIX }, createLogger({ level: 'error', stream: log.stream }));
    assert.equal(sharedNoncesFor(memory, createLogger({ level: 'error', stream: log.stream })), undefined);
    assert.equal(sharedNoncesFor(undefined, createLogger({ level: 'error', stream: log.stream })), undefined);
    await memory.close();
  });

  it('remembers a nonce with one SET NX PX: fresh once, seen after, per user; the key holds no token bytes and expires with the window', async () => {
    const user = 'alice@example.org';
    const nonce = randomBytes(16);
    assert.equal(await shared.remember(user, nonce, 120_000), 'fresh');
    assert.equal(await shared.remember(user, nonce, 120_000), 'seen');
    assert.equal(await shared.remember('bob', nonce, 120_000), 'fresh', 'another user with the same nonce is another key');
    const key = shared.key(user, nonce);
    assert.match(key, /^nstest:wss-nonce:[0-9a-f]{64}$/);
    for (const part of [user, nonce.toString('base64'), nonce.toString('hex'), TEST_SECRETS.wsPassword]) assert.ok(!key.includes(part), `${part} in the key`);
    assert.equal(await probe.get(key), '1');
    const pttl = await probe.pttl(key);
    assert.ok(pttl > 0 && pttl <= 120_000, `PTTL ${pttl}`);
    // A key expires with its window: 300 ms here.
    const short = randomBytes(16);
    assert.equal(await shared.remember(user, short, 300), 'fresh');
    await waitFor('the short key to expire', 10000, async () => (await probe.exists(shared.key(user, short))) === 0);
    assert.equal(await shared.remember(user, short, 300), 'fresh', 'an expired nonce is not a replay any more (its message is refused as too old anyway)');
    // A window already over is stored for 1 ms, never with a zero or negative PX (an error).
    assert.equal(await shared.remember(user, randomBytes(16), -5), 'fresh');
  });

  it('checks this process first: a replay it has seen is refused without asking Redis; one another process has seen is refused by Redis', async () => {
    const now = Date.now();
    const local = new NonceCache(100);
    const t = token('alice', now);
    assert.equal(await outcome(rememberNonce(t, local, shared, now)), 'accepted');
    assert.equal(await outcome(rememberNonce(t, local, shared, now)), 'UNAUTHORIZED FailedAuthentication');
    // Seen here only: refused, and Redis is not asked (no key is written).
    const here = token('alice', now);
    local.remember(here.nonce!.key, here.nonce!.until, now);
    assert.equal(await outcome(rememberNonce(here, local, shared, now)), 'UNAUTHORIZED FailedAuthentication');
    assert.equal(await probe.exists(shared.key('alice', here.nonce!.value)), 0);
    // Seen by another process (its own cache, the same Redis): refused here.
    const other = token('alice', now);
    assert.equal(await outcome(rememberNonce(other, new NonceCache(100), shared, now)), 'accepted');
    assert.equal(await outcome(rememberNonce(other, local, shared, now)), 'UNAUTHORIZED FailedAuthentication');
    // Without a shared cache: the local answer alone, as before.
    const alone = token('bob', now);
    const cache = new NonceCache(100);
    assert.equal(await outcome(rememberNonce(alone, cache, undefined, now)), 'accepted');
    assert.equal(await outcome(rememberNonce(alone, cache, undefined, now)), 'UNAUTHORIZED FailedAuthentication');
    // A token without a nonce (PasswordText without one) has nothing to remember.
    assert.equal(await outcome(rememberNonce({ principal: 'bob' }, cache, shared, now)), 'accepted');
  });

  it('a full local cache refuses only when Redis cannot take the nonce either', async () => {
    const now = Date.now();
    const full = new NonceCache(1);
    assert.equal(await outcome(rememberNonce(token('carol', now), full, shared, now)), 'accepted');
    assert.equal(full.size, 1);
    const t = token('carol', now);
    assert.equal(await outcome(rememberNonce(t, full, shared, now)), 'accepted', 'Redis keeps it');
    assert.equal(await outcome(rememberNonce(t, full, shared, now)), 'UNAUTHORIZED FailedAuthentication', 'and refuses its replay');
    assert.equal(await outcome(rememberNonce(token('carol', now), full, undefined, now)), 'RATE_LIMITED');
  });

  it('falls back to the per-process cache when Redis dies (replays it has seen still refused, one warning), and shares again once Redis is back', async () => {
    const local = new NonceCache(100);
    const before = lines(OUTAGE).length;
    await redis.kill();
    await waitFor('the client to see the connection lost', 10000, () => limits.sharedRedis?.status !== 'ready');
    const now = Date.now();
    const t = token('dave', now);
    assert.equal(await outcome(rememberNonce(t, local, shared, now)), 'accepted');
    assert.equal(await outcome(rememberNonce(t, local, shared, now)), 'UNAUTHORIZED FailedAuthentication', 'the local check still refuses a replay');
    for (let i = 0; i < 5; i++) assert.equal(await outcome(rememberNonce(token('dave', now), local, shared, now)), 'accepted');
    const full = new NonceCache(1);
    full.remember('x', now + 60_000, now);
    assert.equal(await outcome(rememberNonce(token('dave', now), full, shared, now)), 'RATE_LIMITED', 'no room here and no Redis: refused');
    const warned = lines(OUTAGE);
    assert.equal(warned.length, before + 1, 'one warning per outage');
    assert.equal(warned.at(-1)!.level, 'warn');

    await redis.start();
    await sharedAgain();
    const again = token('dave', Date.now());
    assert.equal(await outcome(rememberNonce(again, local, shared)), 'accepted');
    assert.equal(await outcome(rememberNonce(again, new NonceCache(100), shared)), 'UNAUTHORIZED FailedAuthentication', 'shared again');
    assert.equal(lines(BACK).length, 1);
  });

  it('when Redis hangs, answers after a bounded wait from the local cache, warns once, and shares again once Redis answers', async () => {
    const local = new NonceCache(100);
    const before = lines(OUTAGE).length;
    redis.pause();
    try {
      const t = token('erin', Date.now());
      assert.equal(await outcome(rememberNonce(t, local, shared)), 'accepted');
      assert.equal(await outcome(rememberNonce(t, local, shared)), 'UNAUTHORIZED FailedAuthentication');
      // Once a command has timed out, Redis is not asked again until it has reconnected.
      for (let i = 0; i < 5; i++) assert.equal(await shared.remember('erin', randomBytes(16), 1000), 'unavailable');
      assert.equal(await outcome(rememberNonce(token('erin', Date.now()), local, shared)), 'accepted');
      assert.equal(lines(OUTAGE).length, before + 1);
      // The timed-out command made the rate limiter drop the connection, so later ones fail at once.
      assert.ok(lines(/^rate limits: redis not answering within/).length >= 1);
    } finally {
      redis.resume();
    }
    await sharedAgain();
    const t = token('erin', Date.now());
    assert.equal(await outcome(rememberNonce(t, local, shared)), 'accepted');
    assert.equal(await outcome(rememberNonce(t, new NonceCache(100), shared)), 'UNAUTHORIZED FailedAuthentication');
  });

  it('stores no token bytes: every key is a digest under the prefix, every value is 1', async () => {
    const keys = await probe.keys(`${PREFIX}:wss-nonce:*`);
    assert.ok(keys.length >= 2, `${keys.length} keys`); // Redis restarted empty in the tests above
    for (const k of keys) {
      assert.match(k, /^nstest:wss-nonce:[0-9a-f]{64}$/);
      assert.equal(await probe.get(k), '1');
    }
  });
});
