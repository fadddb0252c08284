/**
 * The replay cache of inbound WS-Security UsernameTokens: each nonce accepted is remembered
 * (per user name) until the message that carried it would be refused as too old anyway, so the
 * same token cannot be used twice within the replay window. Bounded: when it is full of entries
 * still in their window it refuses new tokens ('full') rather than forget one, since forgetting
 * a live nonce would let its message be replayed. Only tokens whose password has been verified
 * reach it, so only known users can fill it.
 */

export type Remembered = 'fresh' | 'seen' | 'full';

/** Full sweeps (O(size)) at most this often while the cache is full. */
const SWEEP_INTERVAL_MS = 1000;

export class NonceCache {
  /** key -> time (ms) until which the key counts as seen; insertion order. */
  private readonly entries = new Map<string, number>();
  private lastSweep = -Infinity;
  /** Earliest expiry seen by the last full sweep (for Retry-After). */
  private soonest = Infinity;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`the nonce cache needs a capacity of 1 or more, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records `key` until `expiresAt`: 'fresh' when it was not there (now it is), 'seen' when it
   * is there and still in its window, 'full' when there is no room for it.
   */
  remember(key: string, expiresAt: number, now: number): Remembered {
    const have = this.entries.get(key);
    if (have !== undefined) {
      if (have >= now) return 'seen';
      this.entries.delete(key);
    }
    this.dropExpiredHead(now);
    if (this.entries.size >= this.capacity) {
      if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
      if (this.entries.size >= this.capacity) return 'full';
    }
    this.entries.set(key, expiresAt);
    return 'fresh';
  }

  /** Seconds until an entry expires and frees a place (at least 1), for Retry-After when full. */
  retryAfterSec(now: number): number {
    let soonest = this.soonest;
    if (!Number.isFinite(soonest)) for (const t of this.entries.values()) soonest = Math.min(soonest, t);
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - now) / 1000)) : 1;
  }

  /** Entries are added roughly in expiry order: drop the expired ones at the front. */
  private dropExpiredHead(now: number): void {
    for (const [key, t] of this.entries) {
      if (t >= now) break;
      this.entries.delete(key);
    }
  }

  /** Drops every expired entry, wherever it is. */
  private sweep(now: number): void {
    this.lastSweep = now;
    let soonest = Infinity;
    for (const [key, t] of this.entries) {
      if (t < now) this.entries.delete(key);
      else if (t < soonest) soonest = t;
    }
    this.soonest = soonest;
  }
}

/** Nonces a request may use once per process, shared by all bundles (and kept across reloads). */
export const DEFAULT_NONCE_CACHE_SIZE = 100000;
let processCache: NonceCache | undefined;

/** The process's cache, for callers that bring none (each server brings its own, sized by SOAP_AUTH_NONCE_CACHE_SIZE). */
export function defaultNonceCache(): NonceCache {
  return (processCache ??= new NonceCache(DEFAULT_NONCE_CACHE_SIZE));
}
