// A pacing lease: the slot booked for one attempt (reserve), the wait for it, the place among the
// model's concurrent calls (enter), and giving both back (release), held as one object so no path
// can forget one half.
import type { Pacer } from '../pacing/pacer.js';

/** What one attempt holds from the pacer until it ends. */
export interface PacingLease {
  /**
   * Gives the slot and the concurrency place back. `sent: false` returns the slot unused (the
   * request never reached Gemini); `inputTokens` corrects the booked estimate. Idempotent.
   */
  release(outcome: { sent: boolean; inputTokens?: number }): void;
}

/** The lease of an unpaced call (countTokens, model listing): holds nothing. */
export const NO_LEASE: PacingLease = { release: () => undefined };

/** The pacer knows the day's requests are spent for the pair until `until` (epoch ms). */
export interface DayFull {
  dayFull: true;
  until: number;
}

export interface LeaseRequest {
  project: string;
  model: string;
  /** Estimated input tokens of the request. */
  tokens: number;
  signal?: AbortSignal | undefined;
}

/**
 * Books a slot, waits for it with `waitUntil` (which throws to abandon the attempt, e.g. on abort
 * or when the slot is after the deadline) and takes a concurrency place. Whatever throws on the
 * way, the slot is given back unused before the error goes on.
 */
export async function takeLease(
  pacer: Pacer,
  request: LeaseRequest,
  now: () => number,
  waitUntil: (at: number) => Promise<void>,
): Promise<PacingLease | DayFull> {
  // The signal reaches the booking too: a caller that leaves while the store is slow holds no slot.
  const ticket = await pacer.reserve(request.project, request.model, request.tokens, now(), request.signal);
  if (ticket.dayFull) return { dayFull: true, until: ticket.at };
  let leave: (() => void) | undefined;
  try {
    if (ticket.at > now()) await waitUntil(ticket.at);
    leave = await pacer.enter(request.model, request.signal);
  } catch (failure) {
    ticket.release({ sent: false });
    throw failure;
  }
  let released = false;
  return {
    release(outcome) {
      if (released) return;
      released = true;
      leave?.();
      ticket.release(outcome);
    },
  };
}

export function isDayFull(lease: PacingLease | DayFull): lease is DayFull {
  return 'dayFull' in lease;
}
