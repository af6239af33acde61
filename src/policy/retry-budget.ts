// A retry budget: retries may be at most `ratio` of recent first attempts plus a small floor, so a
// failing upstream is not hit with a multiple of the normal traffic.
import type { RetryBudgetOptions } from './options.js';

export class RetryBudget {
  private requests: number[] = [];
  private retries: number[] = [];

  constructor(private readonly options: RetryBudgetOptions | false) {}

  private prune(now: number): void {
    if (!this.options) return;
    const since = now - this.options.windowMs;
    while (this.requests.length > 0 && this.requests[0]! <= since) this.requests.shift();
    while (this.retries.length > 0 && this.retries[0]! <= since) this.retries.shift();
  }

  recordRequest(now: number): void {
    if (this.options) this.requests.push(now);
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now: number): boolean {
    if (!this.options) return true;
    this.prune(now);
    const allowed = this.options.minPerWindow + this.options.ratio * this.requests.length;
    if (this.retries.length >= allowed) return false;
    this.retries.push(now);
    return true;
  }

  snapshot(now: number): { requests: number; retries: number; allowed: number } | undefined {
    if (!this.options) return undefined;
    this.prune(now);
    return {
      requests: this.requests.length,
      retries: this.retries.length,
      allowed: Math.floor(this.options.minPerWindow + this.options.ratio * this.requests.length),
    };
  }
}
