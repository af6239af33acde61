// The pacing store: bookings per (project, model) pair. Memory for one process; Redis for several.
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

export interface PacingStore {
  readonly kind: 'memory' | 'redis';
  /** Books the earliest slot for a request of `tokens` input tokens. */
  reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked>;
  /** Gives a booking back (the request was not sent). */
  cancel(pair: string, id: string, now: number): Promise<void>;
  /** Replaces a booking's token estimate with the real count. */
  correct(pair: string, id: string, tokens: number): Promise<void>;
  usage(pair: string, now: number): Promise<PairUsage>;
  close(): Promise<void>;
}

export const REAL_DAY_MS = 86_400_000;

export function defaultWindows(clock: { minuteMs?: number | undefined; dayMs?: number | undefined } = {}): Windows {
  const minuteMs = clock.minuteMs ?? 60_000;
  return {
    minuteMs,
    dayMs: clock.dayMs ?? REAL_DAY_MS,
    marginMs: Math.min(1000, Math.max(25, Math.round(minuteMs * 0.02))),
  };
}
