/**
 * A circuit breaker for one backend: `failures` consecutive failures (within `windowMs` of the
 * first) open it; while open every call is refused without reaching the backend; `resetMs`
 * after opening it is half-open and lets one trial call through: success closes it, failure
 * opens it again for another `resetMs`.
 */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker (>= 1). */
  failures: number;
  /** Cool-down while open, in milliseconds. */
  resetMs: number;
  /** Failures further apart than this from the first of the run start a new count; default 60000. */
  windowMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class Breaker {
  private failuresInRow = 0;
  private firstFailureAt = 0;
  private openedAt = 0;
  private opened = false;
  private trialInFlight = false;

  constructor(
    readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.now() - this.openedAt >= this.settings.resetMs ? 'half-open' : 'open';
  }

  /** Milliseconds until a trial call may go through (0 when not open). */
  retryInMs(): number {
    return this.opened ? Math.max(0, this.openedAt + this.settings.resetMs - this.now()) : 0;
  }

  /** Whether a call may go now; in half-open state only one trial at a time. */
  allow(): boolean {
    const s = this.state();
    if (s === 'closed') return true;
    if (s === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** An allowed call that was not made after all. */
  release(): void {
    this.trialInFlight = false;
  }

  success(): void {
    this.trialInFlight = false;
    this.opened = false;
    this.failuresInRow = 0;
  }

  failure(): void {
    const t = this.now();
    if (this.opened) {
      // A failed trial (or a late failure of a call made before opening): open for another cool-down.
      if (this.trialInFlight || this.state() === 'half-open') this.openedAt = t;
      this.trialInFlight = false;
      return;
    }
    if (this.failuresInRow === 0 || t - this.firstFailureAt > (this.settings.windowMs ?? 60_000)) {
      this.failuresInRow = 0;
      this.firstFailureAt = t;
    }
    this.failuresInRow++;
    if (this.failuresInRow >= this.settings.failures) {
      this.opened = true;
      this.openedAt = t;
      this.failuresInRow = 0;
    }
  }
}
