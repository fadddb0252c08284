/**
 * The replay cache of inbound UsernameTokens shared through Redis (RATE_LIMIT_STORE=redis), so
 * that a token accepted by one worker or bridge instance is refused by every other one within
 * its window. It uses the rate limiter's Redis connection (ratelimit/limits.ts: no offline
 * queue, bounded command time, reconnection, closed on shutdown) and one atomic command per
 * token: `SET {prefix}:wss-nonce:{sha256(user, nonce)} 1 NX PX {ms until Created + maxAgeSec}`;
 * a null answer means the key was there: a replay. The key is a digest, so neither the nonce nor
 * the user name is stored; the value is `1`.
 *
 * The per-process NonceCache is always consulted first and kept as well: while Redis is down or
 * does not answer in time, each process still refuses every replay it has seen itself (one
 * warning per outage, one line when Redis answers again); no request waits longer than the
 * command timeout. Nonces accepted during an outage are known to their process only.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log';
import { COMMAND_TIMEOUT_MS, type RateLimits } from '../../ratelimit/limits';
import type { NonceCache } from './nonce-cache';
import { refuseReplay, type Authenticated } from './verify';

/** What the shared cache needs of the rate limiter's store (RateLimits implements it). */
export interface RedisSource {
  /** The connection, undefined when there is none (memory store, closed). */
  readonly sharedRedis: Redis | undefined;
  /** RATE_LIMIT_PREFIX. */
  readonly keyPrefix: string;
  /** A command timed out: the owner logs it and reconnects, so later commands fail at once. */
  redisStalled(): void;
}

/** A guard over ioredis's own commandTimeout: a SET that has not settled by then counts as failed. */
export const NONCE_SET_GUARD_MS = COMMAND_TIMEOUT_MS + 500;

/** What Redis said of a nonce: 'unavailable' when it could not be asked (down, too slow, an error). */
export type SharedAnswer = 'fresh' | 'seen' | 'unavailable';

class Stalled extends Error {}

export class SharedNonces {
  /** Whether the last attempt failed (the outage warning is logged once, on the first failure). */
  private degraded = false;
  /** A connection whose command timed out: not asked again until it is ready anew (reconnected), so a hung Redis costs one timeout, not one per request. */
  private suspended: Redis | undefined;

  constructor(
    private readonly source: RedisSource,
    private readonly logger: Logger,
  ) {}

  /** The Redis key of a user's nonce: the prefix and a SHA-256 of user name and nonce (no token bytes). */
  key(username: string, nonce: Buffer): string {
    const h = createHash('sha256').update(username, 'utf8').update('\u0000').update(nonce).digest('hex');
    return `${this.source.keyPrefix}:wss-nonce:${h}`;
  }

  /** Records the nonce for `ttlMs` (at least 1 ms): 'fresh' when no process had it, 'seen' when one had. */
  async remember(username: string, nonce: Buffer, ttlMs: number): Promise<SharedAnswer> {
    const redis = this.source.sharedRedis;
    if (!redis || redis.status !== 'ready') return this.unavailable(redis ? `connection ${redis.status}` : 'no connection');
    if (this.suspended === redis) return this.unavailable('no answer');
    const ttl = Math.max(1, Math.ceil(ttlMs));
    let timer: NodeJS.Timeout | undefined;
    try {
      const set = redis.set(this.key(username, nonce), '1', 'PX', ttl, 'NX');
      set.catch(() => undefined);
      const answer = await Promise.race([set, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Stalled(`no answer within ${NONCE_SET_GUARD_MS} ms`)), NONCE_SET_GUARD_MS)))]);
      this.available();
      return answer === null ? 'seen' : 'fresh';
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (e instanceof Stalled || /timed out/i.test(message)) this.stalled(redis);
      return this.unavailable(message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Redis hangs: skip it until the connection is ready again, and let its owner reconnect. */
  private stalled(redis: Redis): void {
    if (this.suspended !== redis) {
      this.suspended = redis;
      redis.once('ready', () => {
        if (this.suspended === redis) this.suspended = undefined;
      });
    }
    this.source.redisStalled();
  }

  private unavailable(error: string): 'unavailable' {
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn('soapAuth: redis unavailable; replayed tokens are refused per process until it is back', { error });
    }
    return 'unavailable';
  }

  private available(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info('soapAuth: redis answers again; the replay cache is shared');
  }
}

/**
 * Remembers an authenticated token's nonce, or throws its refusal (refuseReplay): the
 * per-process cache first (a replay it has seen is refused without asking Redis), then, with a
 * shared cache, Redis, whose answer decides; when Redis cannot be asked the local answer stands.
 * A full local cache refuses only when Redis cannot take the nonce either.
 */
export async function rememberNonce(token: Authenticated, local: NonceCache, shared: SharedNonces | undefined, now: number = Date.now()): Promise<void> {
  const n = token.nonce;
  if (!n) return;
  const mine = local.remember(n.key, n.until, now);
  if (mine === 'seen' || !shared) return refuseReplay(token, mine, local, now);
  const answer = await shared.remember(n.username, n.value, n.until - now);
  if (answer === 'seen') refuseReplay(token, 'seen', local, now);
  else if (answer === 'unavailable') refuseReplay(token, mine, local, now);
}

const sharedByLimits = new WeakMap<RateLimits, SharedNonces>();

/** The shared replay cache of a rate-limit store, when that store is Redis (one per store, so one warning per outage). */
export function sharedNoncesFor(limits: RateLimits | undefined, logger: Logger): SharedNonces | undefined {
  if (!limits || limits.storeName !== 'redis') return undefined;
  let shared = sharedByLimits.get(limits);
  if (!shared) sharedByLimits.set(limits, (shared = new SharedNonces(limits, logger)));
  return shared;
}
