// The earliest time a request may be booked on a (project, model) pair so that no rolling window of
// `windowMs` holds more than `rpm` requests or `tpm` input tokens. Bookings are appended in time
// order (FIFO), so only the tail of the log matters. A rolling window is safe against any fixed
// window the server may count in.
import type { Limits } from './limits.js';

export interface Booking {
  at: number;
  tokens: number;
  id: string;
}

export function earliestSlot(
  log: readonly Booking[],
  tokens: number,
  limits: Limits,
  now: number,
  windowMs: number,
): number {
  let at = now;
  const last = log[log.length - 1];
  if (last && last.at > at) at = last.at; // FIFO: never ahead of an earlier booking
  if (limits.rpm !== undefined && limits.rpm > 0 && log.length >= limits.rpm) {
    at = Math.max(at, log[log.length - limits.rpm]!.at + windowMs);
  }
  if (limits.tpm !== undefined && limits.tpm > 0) {
    // Walk back until the tokens in the window plus this request would pass the limit.
    const room = limits.tpm - Math.min(tokens, limits.tpm); // a request over the whole limit waits for an empty window
    let sum = 0;
    for (let index = log.length - 1; index >= 0; index--) {
      sum += log[index]!.tokens;
      if (sum > room) {
        at = Math.max(at, log[index]!.at + windowMs);
        break;
      }
    }
  }
  return at;
}

/** Drops bookings that can no longer affect any window from `now` on. */
export function prune(log: Booking[], now: number, windowMs: number): void {
  let drop = 0;
  while (drop < log.length && log[drop]!.at + windowMs <= now) drop++;
  if (drop > 0) log.splice(0, drop);
}
