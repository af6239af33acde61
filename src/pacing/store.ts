// The pacing store: bookings per (project, model) pair. Memory for one process; Redis for several,
// behind a failover store that paces per process while Redis is down or slow.
import type { Limits } from './limits.js';

export interface Windows {
  minuteMs: number;
  dayMs: number;
  /** Extra width of the rolling minute, for requests that arrive a little after their booking. */
  marginMs: number;
}

export interface Booked {
  /** When the request may be sent (≥ now). */
  at: number;
  id: string;
  /** True when the day's quota is spent and `at` is the next day's start. */
  dayFull: boolean;
}

export interface PairUsage {
  minuteRequests: number;
  minuteTokens: number;
  dayRequests: number;
  /** Bookings not yet due: requests waiting for their slot. */
  waiting: number;
}

/**
 * Where bookings live. `pair` is "project/model"; times are ms since the epoch; `tokens` are input
 * tokens. Implementations: MemoryPacingStore, RedisPacingStore, FailoverStore (Redis with memory
 * while Redis is in trouble).
 */
export interface PacingStore {
  /** Where bookings are made right now (a failover store answers for its current state). */
  readonly kind: 'memory' | 'redis';
  /** Books the earliest slot for a request of `tokens` input tokens. */
  reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked>;
  /** A local estimate of when a request could be booked, without booking it (no I/O). */
  peek(pair: string, tokens: number, limits: Limits, now: number): number;
  /** Gives a booking back (the request was not sent). */
  cancel(pair: string, id: string, now: number): Promise<void>;
  /** Replaces a booking's token estimate with the real count. */
  correct(pair: string, id: string, tokens: number): Promise<void>;
  /** Shares a limit learned from a 429 with the other processes (a no-op in memory). */
  learn(pair: string, window: 'rpm' | 'tpm' | 'rpd', limit: number): Promise<void>;
  usage(pair: string, now: number): Promise<PairUsage>;
  close(): Promise<void>;
}

export const REAL_DAY_MS = 86_400_000;

/**
 * The lengths of the quota windows, ms, apart from the time source (`clock`): Gemini counts RPM and
 * TPM in a rolling minute (60,000) and RPD in a day that ends at midnight Pacific (86,400,000). Both
 * are compressed only against a test server that compresses them too (the emulator's
 * `clock: { minuteMs, dayMs }`); a compressed day is rolling (a request counts for `dayMs` after it),
 * and a per-day 429 on it resets after the server's retry delay, at most one such day.
 */
export interface QuotaWindows {
  minuteMs?: number | undefined;
  dayMs?: number | undefined;
}

/** The windows a store counts in: the given lengths (real ones by default) and the margin. */
export function defaultWindows(quotaWindows: QuotaWindows = {}): Windows {
  const minuteMs = quotaWindows.minuteMs ?? 60_000;
  return {
    minuteMs,
    dayMs: quotaWindows.dayMs ?? REAL_DAY_MS,
    marginMs: Math.min(1000, Math.max(25, Math.round(minuteMs * 0.02))),
  };
}
