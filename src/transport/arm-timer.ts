// Timers for limits that may be "none": Node fires a timer of more than 2^31-1 ms (about 24.8 days)
// at once, so a limit that long, or infinite, arms no timer at all.
import type { Clock } from '../time/index.js';

/** The longest delay Node's timers keep, ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `clock.timer(ms, callback)`, or nothing when `ms` is beyond what a timer can hold. Returns the cancel function. */
export function armTimer(clock: Clock, ms: number, callback: () => void): () => void {
  if (!(ms <= MAX_TIMER_MS)) return () => {};
  return clock.timer(ms, callback);
}
