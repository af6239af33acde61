// A circuit breaker per model. Closed: requests flow. After `failureThreshold` consecutive failures
// it opens for `cooldownMs`; then one probe is let through (half-open): success closes it, failure
// opens it again. Time comes in as `now`; nothing here reads a clock.
import type { BreakerOptions } from './options.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSnapshot {
  model: string;
  state: CircuitState;
  consecutiveFailures: number;
  openUntil?: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil: number | undefined;
  private probing = false;

  constructor(
    readonly model: string,
    private readonly options: BreakerOptions,
  ) {}

  state(now: number): CircuitState {
    if (this.openUntil === undefined) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** May a request go to this model now? In half-open, only one probe at a time. */
  allows(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return !this.probing;
  }

  /** Marks the start of a request (a probe when half-open). */
  begin(now: number): void {
    if (this.state(now) === 'half-open') this.probing = true;
  }

  /** Records a success; returns true when this closed an open circuit. */
  success(): boolean {
    const wasOpen = this.openUntil !== undefined;
    this.failures = 0;
    this.openUntil = undefined;
    this.probing = false;
    return wasOpen;
  }

  /** Records a failure that counts against the model; returns the open-until time when it (re)opened. */
  failure(now: number): number | undefined {
    this.failures++;
    const halfOpen = this.state(now) === 'half-open';
    this.probing = false;
    if (halfOpen || (this.openUntil === undefined && this.failures >= this.options.failureThreshold)) {
      this.openUntil = now + this.options.cooldownMs;
      return this.openUntil;
    }
    return undefined;
  }

  /** A request that ended without saying anything about the model's health (e.g. a bad key). */
  neutral(): void {
    this.probing = false;
  }

  retryAt(): number | undefined {
    return this.openUntil;
  }

  snapshot(now: number): CircuitSnapshot {
    return {
      model: this.model,
      state: this.state(now),
      consecutiveFailures: this.failures,
      ...(this.openUntil !== undefined ? { openUntil: this.openUntil } : {}),
    };
  }
}
