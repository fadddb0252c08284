/**
 * A real redis-server for the tests that share state through Redis (rate limits, the soapAuth
 * replay cache): started on a free loopback port with a password from TEST_SECRETS (given on
 * stdin, never in argv), stopped (SIGKILL, bounded wait) by the test that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { noteOutput, TEST_SECRETS } from './secrets';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_PASSWORD = TEST_SECRETS.redisPassword;

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
export async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Skips the calling suite (with a message) when redis-server is not installed; under CI that is
 * a failure. Call from a mocha `before(function () {…})`.
 */
export function requireRedisServer(ctx: Mocha.Context): void {
  if (fs.existsSync(REDIS_SERVER)) return;
  if (process.env.CI) throw new Error(`${REDIS_SERVER} is missing (CI is set: .ci/run installs redis-server)`);
  console.log(`      (skipped: ${REDIS_SERVER} is not installed; apt-get install redis-server to run these tests)`);
  ctx.skip();
}

/** A redis-server child on 127.0.0.1:port, its configuration (password included) given on stdin, not in argv. */
export class RedisServer {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** redis://:password@127.0.0.1:port */
  get url(): string {
    return `redis://:${REDIS_PASSWORD}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => noteOutput('redis-server', c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => noteOutput('redis-server', c.toString('utf8')));
    child.stdin!.end([`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, 'save ""', 'appendonly no', `requirepass ${REDIS_PASSWORD}`, 'loglevel warning', ''].join('\n'));
    const client = new Redis({ host: '127.0.0.1', port: this.port, password: REDIS_PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
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

  /** SIGSTOP / SIGCONT: a Redis that hangs (connections stay open, nothing is answered). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
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

/** A client for tests to look into Redis (keys, TTLs), retrying briefly; disconnect it in `after`. */
export function redisProbe(port: number): Redis {
  const probe = new Redis({ host: '127.0.0.1', port, password: REDIS_PASSWORD, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 500) });
  probe.on('error', () => undefined);
  return probe;
}
