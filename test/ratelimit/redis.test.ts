/**
 * Rate limits shared through Redis (RATE_LIMIT_STORE=redis): a real redis-server on a free
 * loopback port (with a password from TEST_SECRETS, so the secrets guard checks it never reaches
 * a log), two bridges sharing one limit, Redis killed mid-run (the bridges keep answering with
 * per-instance limits and warn once), Redis back (shared again), start-up with Redis down, and
 * the connection closed on shutdown. Skipped when redis-server is not installed, unless CI is set.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { freePort, request, startBridge, tempDir, type TestBridge } from '../support/bridge';
import { calculatorBundle, requestFrom } from '../support/ratelimit';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

const REDIS_SERVER = '/usr/bin/redis-server';
const PASSWORD = TEST_SECRETS.redisPassword;

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A redis-server child on 127.0.0.1:port, its configuration (password included) given on stdin, not in argv. */
class RedisServer {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => noteOutput('redis-server', c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => noteOutput('redis-server', c.toString('utf8')));
    child.stdin!.end([`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, 'save ""', 'appendonly no', `requirepass ${PASSWORD}`, 'loglevel warning', ''].join('\n'));
    const client = new Redis({ host: '127.0.0.1', port: this.port, password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await waitFor('redis-server to answer PING', 10000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        try {
          if (client.status !== 'ready') {
            client.disconnect();
            await client.connect();
          }
          return (await client.ping()) === 'PONG';
        } catch {
          return false;
        }
      });
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL (no goodbye to the clients), waiting (bounded) for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

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
    if (!fs.existsSync(REDIS_SERVER)) {
      if (process.env.CI) throw new Error(`${REDIS_SERVER} is missing (CI is set: .ci/run installs redis-server)`);
      console.log(`      (skipped: ${REDIS_SERVER} is not installed; apt-get install redis-server to run these tests)`);
      this.skip();
    }
    calc = await startCalculatorBackend(0);
    tmp = tempDir('ratelimit-redis');
    fs.mkdirSync(`${tmp.dir}/redis`);
    calculatorBundle(`${tmp.dir}/services`, 'calc', `${calc.url}/calculator`, 'rateLimit: {requests: 4, windowMs: 60000}\n');
    redis = new RedisServer(await freePort(), `${tmp.dir}/redis`);
    await redis.start();
    redisUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    probe = new Redis({ host: '127.0.0.1', port: redis.port, password: PASSWORD, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 500) });
    probe.on('error', () => undefined);
    a = await startBridge(`${tmp.dir}/services`, {}, overrides());
    b = await startBridge(`${tmp.dir}/services`, {}, overrides());
  });

  after(async () => {
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
    assert.deepEqual(keys, ['rltest:calc:ip:127.0.0.1', 'rltest:calc:ip:127.0.0.2']);
    assert.equal(await probe.get('rltest:calc:ip:127.0.0.1'), '6');
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
      await waitFor('the outage warning', 10000, () => lines(bridge, /^rate limits: redis unreachable/).length > 0);
      for (let i = 0; i < 3; i++) assert.equal((await add(bridge, '127.0.0.4')).status, 200);
      const warnings = lines(bridge, /^rate limits: redis unreachable/);
      assert.equal(warnings.length, 1, 'one warning per outage, not per request');
      assert.equal(warnings[0].level, 'warn');
      assert.equal((await request(`${bridge.url}/healthz`)).status, 200);
    }

    await redis.start();
    for (const bridge of [a, b]) await waitFor('the reconnection', 20000, () => lines(bridge, /^rate limits: redis reachable/).length === 2);
    const statuses: number[] = [];
    for (const bridge of [b, a, b, a, b, a]) statuses.push((await add(bridge, '127.0.0.5')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    assert.equal(await probe.get('rltest:calc:ip:127.0.0.5'), '6');
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
