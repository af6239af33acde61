// Parking a (project, model) pair. The key pool is the one holder of parks (route choice, the
// pass-through, the status page and the fleet all read them there); this is the one way to write
// one, so the park and its `key-parked` event never part. A per-day 429's decision parks a pair, and
// so does a booking the pacer refused because the pair's day is spent (the pacer keeps no park).
import type { KeyPool } from '../policy/index.js';
import type { PipelineEmitter } from './events.js';

/** What a pair parked by the pacer's spent day says in events, logs and the status page. */
export const SPENT_DAY_REASON = 'daily request limit reached (paced)';

/** A park: the pair, until when (epoch ms; Infinity: until restart) and why, in words. */
export interface Park {
  project: string;
  model: string;
  until: number;
  reason: string;
}

/** Parks the pair in the key pool and emits `key-parked`. */
export function parkPair(keys: KeyPool, events: PipelineEmitter, park: Park): void {
  keys.park(park.project, park.model, park.until, park.reason);
  events.emit('key-parked', { project: park.project, model: park.model, until: park.until, reason: park.reason });
}

/**
 * Parks a pair whose booking found the day's requests spent (`Reservation.dayFull`) until the day
 * has room (`until`, the booking's `at`), as a per-day 429 would have, without asking upstream.
 */
export function parkSpentDay(
  keys: KeyPool,
  events: PipelineEmitter,
  project: string,
  model: string,
  until: number,
): void {
  parkPair(keys, events, { project, model, until, reason: SPENT_DAY_REASON });
}
