// A circuit breaker per model. Closed: requests flow. After `failureThreshold` consecutive failures
// it opens for `cooldownMs`; then one probe is let through (half-open): success closes it, failure
// opens it again. Time comes in as `now`; nothing here reads a clock.
//
// A fleet of processes shares one breaker per model (fleet state): failures seen by the others are
// counted with `failure(now, { remote: true })`, an opening decided elsewhere arrives through
// `openUntilAt`, and the half-open probe is let through only where `probeGate` says so (one process
// of the fleet holds the probe).
import type { BreakerOptions } from './options.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSnapshot {
  model: string;
  state: CircuitState;
  consecutiveFailures: number;
  openUntil?: number;
}

/** What a breaker tells its observer (fleet state mirrors it). Remote changes are not told. */
export type BreakerChange =
  { type: 'failure'; model: string; openedUntil?: number } | { type: 'success'; model: string; closed: boolean };

export class CircuitBreaker {
  private failures = 0;
  private openUntil: number | undefined;
  private probing = false;

  constructor(
    readonly model: string,
    private readonly options: BreakerOptions,
    /** Told of every local failure and of successes that end a run of failures or close the circuit. */
    private readonly observer?: (change: BreakerChange) => void,
    /** In half-open, may this process send the probe? (fleet state: one process probes). Default yes. */
    private readonly probeGate?: (model: string) => boolean,
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
    return !this.probing && (this.probeGate?.(this.model) ?? true);
  }

  /** Marks the start of a request (a probe when half-open). */
  begin(now: number): void {
    if (this.state(now) === 'half-open') this.probing = true;
  }

  /** Records a success; returns true when this closed an open circuit. */
  success(options: { remote?: boolean } = {}): boolean {
    const wasOpen = this.openUntil !== undefined;
    const hadFailures = this.failures > 0;
    this.failures = 0;
    this.openUntil = undefined;
    this.probing = false;
    if (!options.remote && (wasOpen || hadFailures))
      this.observer?.({ type: 'success', model: this.model, closed: wasOpen });
    return wasOpen;
  }

  /** Records a failure that counts against the model; returns the open-until time when it (re)opened. */
  failure(now: number, options: { remote?: boolean } = {}): number | undefined {
    this.failures++;
    const halfOpen = this.state(now) === 'half-open';
    // A failure reported by another process does not end this process's own probe.
    if (!options.remote) this.probing = false;
    let opened: number | undefined;
    if (
      (halfOpen && !options.remote) ||
      (this.openUntil === undefined && this.failures >= this.options.failureThreshold)
    ) {
      this.openUntil = now + this.options.cooldownMs;
      opened = this.openUntil;
    }
    if (!options.remote)
      this.observer?.({ type: 'failure', model: this.model, ...(opened !== undefined ? { openedUntil: opened } : {}) });
    return opened;
  }

  /**
   * Opens the circuit until `until` as another process decided (no-op when it is already open at
   * least that long); returns true when this opened it.
   */
  openUntilAt(until: number, now: number): boolean {
    if (this.openUntil !== undefined && this.openUntil >= until) return false;
    const wasOpen = this.openUntil !== undefined && this.state(now) === 'open';
    this.openUntil = until;
    this.probing = false;
    return !wasOpen;
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
