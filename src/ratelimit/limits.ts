/**
 * The counters behind `rateLimit` (rate-limiter-flexible): in this process's memory
 * (RATE_LIMIT_STORE=memory, the default; per process, so per worker under WORKERS>1), or in
 * Redis (RATE_LIMIT_STORE=redis: one count across workers and bridge instances).
 *
 * Redis never stops the bridge: commands fail at once while the connection is down (no offline
 * queue), after COMMAND_TIMEOUT_MS when Redis hangs, or with Redis's error reply (full,
 * read-only), and rate-limiter-flexible then counts in an in-memory insurance limiter of the
 * same rule (per instance) until Redis is back. One
 * warning is logged when the connection is lost and one line when it is back. Start-up waits
 * for Redis at most CONNECT_WAIT_MS; ioredis keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Logger } from '../log';
import { registerSecret } from '../log/redact';
import type { RateLimitRule } from './rule';

/** Longest wait for Redis at start-up before serving with per-instance limits. */
export const CONNECT_WAIT_MS = 2000;
/** A Redis command that takes longer fails over to the insurance limiter. */
export const COMMAND_TIMEOUT_MS = 1000;
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** The outcome of counting one request. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window ends (and, when refused, until a request is allowed again). */
  resetMs: number;
}

/** The URL with its password hidden, for log lines. */
export function displayRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable URL)';
  }
}

/**
 * Registers the password of a Redis URL as a secret: never in a log line or error body. The user
 * name is not a secret (an ACL user, often `default`): registered, every occurrence of that word
 * in any log line or error body would be redacted.
 */
export function registerRedisSecrets(url: string): void {
  try {
    const u = new URL(url);
    for (const part of [u.password]) {
      if (!part) continue;
      registerSecret(part);
      try {
        registerSecret(decodeURIComponent(part));
      } catch {
        // a malformed %-escape: the raw form is registered already
      }
    }
  } catch {
    // not a URL: loadConfig refuses it before this runs
  }
}

/** How ioredis rejects a command that got no answer within `commandTimeout`. */
const COMMAND_TIMED_OUT = 'Command timed out';
/** A Redis that keeps refusing commands (full, read-only) is warned about at most this often. */
const REFUSING_WARN_EVERY_MS = 60_000;

/**
 * RateLimiterRedis that tells its owner why Redis failed (before the in-memory insurance limiter
 * counts): a command that timed out and one Redis refused call for different handling.
 */
class RedisLimiter extends RateLimiterRedis {
  constructor(opts: ConstructorParameters<typeof RateLimiterRedis>[0], onStoreError: (e: unknown) => void) {
    super(opts);
    // rate-limiter-flexible (11.4.0, pinned) passes every failure of a store command (consume,
    // get, …) to _handleError(err, …), which then asks the insurance limiter; not in its typings.
    const self = this as unknown as { _handleError: (err: unknown, ...rest: unknown[]) => void };
    if (typeof self._handleError !== 'function') throw new Error('rate-limiter-flexible: RateLimiterRedis#_handleError is gone (check the pinned version)');
    const handle = self._handleError.bind(this);
    self._handleError = (err: unknown, ...rest: unknown[]): void => {
      if (!(err instanceof RateLimiterRes)) onStoreError(err);
      handle(err, ...rest);
    };
  }
}

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private redis: Redis | undefined;
  /** Whether the Redis connection is usable (what the outage log lines report changes of). */
  private redisUp = false;
  private closed = false;
  /** REDIS_URL with the password hidden. */
  private shown = '';

  private constructor(
    private readonly store: 'memory' | 'redis',
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** The store of a configuration; with Redis, waits for it at most CONNECT_WAIT_MS. */
  static async create(config: Pick<Config, 'rateLimitStore' | 'redisUrl' | 'rateLimitPrefix'>, logger: Logger): Promise<RateLimits> {
    registerRedisSecrets(config.redisUrl);
    const limits = new RateLimits(config.rateLimitStore, config.rateLimitPrefix, logger);
    if (config.rateLimitStore === 'redis') await limits.connect(config.redisUrl);
    return limits;
  }

  get storeName(): 'memory' | 'redis' {
    return this.store;
  }

  /** RATE_LIMIT_PREFIX: other users of the Redis connection put their keys under it too. */
  get keyPrefix(): string {
    return this.prefix;
  }

  /**
   * The Redis connection (RATE_LIMIT_STORE=redis), shared with soapAuth's replay cache
   * (auth/wss/nonce-store.ts): the same no-offline-queue and command-timeout settings, the same
   * lifecycle. Undefined with the memory store and once closed.
   */
  get sharedRedis(): Redis | undefined {
    return this.closed ? undefined : this.redis;
  }

  /** A command of another user of the connection timed out: handled as the limiter's own (warn once, reconnect). */
  redisStalled(): void {
    this.insuranceUsed();
  }

  /** When Redis last refused commands was warned about (REFUSING_WARN_EVERY_MS). */
  private refusingWarnedAt = -Infinity;

  private async connect(url: string): Promise<void> {
    const shown = (this.shown = displayRedisUrl(url));
    const redis = new Redis(url, {
      // A command while disconnected fails at once (the insurance limiter counts), never waits.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_WAIT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times: number) => (this.closed ? null : Math.min(100 * times, MAX_RECONNECT_DELAY_MS)),
      lazyConnect: false,
    });
    this.redis = redis;
    let lastError = '';
    // Without a listener ioredis prints every failed attempt; the transitions below are what is logged.
    redis.on('error', (e: Error) => {
      lastError = e.message;
    });
    redis.on('ready', () => {
      if (this.redisUp || this.closed) return;
      this.redisUp = true;
      this.logger.info('rate limits: redis reachable; limits are shared', { redis: shown });
    });
    const down = (): void => {
      if (!this.redisUp || this.closed) return;
      this.redisUp = false;
      this.logger.warn('rate limits: redis unreachable; counting per instance until it is back', { redis: shown, error: lastError || 'connection closed' });
    };
    redis.on('close', down);
    redis.on('end', down);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), CONNECT_WAIT_MS);
      const onReady = (): void => finish(true);
      function finish(ok: boolean): void {
        clearTimeout(timer);
        redis.off('ready', onReady);
        resolve(ok);
      }
      if (redis.status === 'ready') finish(true);
      else redis.once('ready', onReady);
    });
    if (!ready) {
      this.logger.warn(`rate limits: redis not reachable within ${CONNECT_WAIT_MS} ms; counting per instance until it is`, { redis: shown, error: lastError || 'no answer' });
    }
  }

  /**
   * A request was counted in memory (`err`: why Redis failed; none: a command timed out). Redis
   * not connected: the outage is logged already. Connected but a command timed out (Redis
   * hangs): log it once and reconnect, so that the next requests fall back at once instead of
   * waiting COMMAND_TIMEOUT_MS each; 'ready' ends the outage. Connected and Redis answered with
   * an error (out of memory, a read-only replica): a new connection would not help and dropping
   * it on every request would be a reconnect storm, so the connection is kept and a warning
   * logged at most once a minute while it lasts.
   */
  private insuranceUsed(err?: unknown): void {
    const redis = this.redis;
    if (!redis || this.closed || redis.status !== 'ready') return;
    const message = (err as { message?: unknown } | undefined)?.message;
    if (err !== undefined && message !== COMMAND_TIMED_OUT) {
      const now = Date.now();
      if (this.redisUp || now - this.refusingWarnedAt >= REFUSING_WARN_EVERY_MS) {
        this.redisUp = false;
        this.refusingWarnedAt = now;
        this.logger.warn('rate limits: redis refuses commands; counting per instance while it does', { redis: this.shown, error: typeof message === 'string' ? message : String(err) });
      }
      return;
    }
    if (this.redisUp) {
      this.redisUp = false;
      this.logger.warn(`rate limits: redis not answering within ${COMMAND_TIMEOUT_MS} ms; counting per instance until it is back`, { redis: this.shown });
    }
    redis.disconnect(true);
  }

  /** The limiter of a rule, made on first use (a reloaded bundle with the same rule gets the same one). */
  private limiterFor(rule: RateLimitRule): RateLimiterAbstract {
    // Keys: {prefix}:{service}:*:{client} for the service's budget, {prefix}:{service}:{operation}:{client}
    // for an operation's own (an operation name, an XML NCName, is never `*` and holds no colon).
    return this.limiter(`${rule.service}:${rule.operation ?? '*'}`, rule.requests, rule.windowMs);
  }

  /**
   * The limiter of `points` per `windowMs` whose keys are `{prefix}:{scope}:{client}`, in this
   * store (with Redis, counting in memory while it is unreachable); made once per scope and numbers.
   */
  limiter(scope: string, points: number, windowMs: number): RateLimiterAbstract {
    const id = `${scope}\u0000${points}\u0000${windowMs}`;
    let limiter = this.limiters.get(id);
    if (limiter) return limiter;
    const opts = { keyPrefix: `${this.prefix}:${scope}`, points, duration: windowMs / 1000 };
    if (this.redis) {
      limiter = new RedisLimiter(
        {
          ...opts,
          storeClient: this.redis,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(opts),
        },
        (e) => this.insuranceUsed(e),
      );
    } else {
      limiter = new RateLimiterMemory(opts);
    }
    this.limiters.set(id, limiter);
    return limiter;
  }

  /** Counts one request of `client` under `rule`. Never rejects for a store failure. */
  async consume(rule: RateLimitRule, client: string): Promise<RateDecision> {
    const limiter = this.limiterFor(rule);
    const decide = (res: RateLimiterRes, allowed: boolean): RateDecision => ({
      allowed,
      limit: rule.requests,
      remaining: Math.max(0, rule.requests - res.consumedPoints),
      resetMs: Math.max(0, res.msBeforeNext),
    });
    try {
      return decide(await limiter.consume(client), true);
    } catch (e) {
      if (e instanceof RateLimiterRes) return decide(e, false);
      // The insurance limiter failed too (it does not; memory never fails): let the request through.
      this.logger.error('rate limits: cannot count a request; letting it through', { error: (e as Error)?.message });
      return { allowed: true, limit: rule.requests, remaining: rule.requests, resetMs: rule.windowMs };
    }
  }

  /** Closes the Redis connection (QUIT, then a hard disconnect if it does not answer within `waitMs`). */
  async close(waitMs = 1000): Promise<void> {
    this.closed = true;
    const redis = this.redis;
    if (!redis) return;
    this.redis = undefined;
    if (redis.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([redis.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs))))]);
      clearTimeout(timer);
    }
    redis.disconnect();
  }
}
