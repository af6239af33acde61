// Pacing state in this process's memory: per pair, the rolling minute as time buckets
// (minute-buckets.ts) and the day's request count.
import { randomUUID } from 'node:crypto';
import { nextPacificMidnight } from '../time/index.js';
import type { Limits } from './limits.js';
import { bucketGeometry, MinuteBuckets, type BucketGeometry } from './minute-buckets.js';
import { REAL_DAY_MS, type Booked, type PacingStore, type PairUsage, type Windows } from './store.js';

/**
 * Requests per day. Real days: a count per day, keyed by the day's end (midnight Pacific).
 * Compressed days (the emulator's clock): booking times in order, read from `head` on, so counting
 * the day and finding when it has room are O(1) and pruning is amortised O(1).
 */
class DayCount {
  private readonly days = new Map<number, number>();
  private times: number[] = [];
  private head = 0;

  constructor(private readonly dayMs: number) {}

  private get real(): boolean {
    return this.dayMs === REAL_DAY_MS;
  }

  private prune(now: number): void {
    while (this.head < this.times.length && this.times[this.head]! + this.dayMs <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** When the day holding `now` has room: `now` itself, or (full) when it will, Infinity for RPD 0. */
  room(rpd: number | undefined, now: number): { at: number; full: boolean } {
    if (rpd === undefined) return { at: now, full: false };
    if (rpd === 0) return { at: Number.POSITIVE_INFINITY, full: true };
    if (this.real) {
      let slot = now;
      let full = false;
      while ((this.days.get(nextPacificMidnight(slot)) ?? 0) >= rpd) {
        slot = nextPacificMidnight(slot);
        full = true;
      }
      return { at: slot, full };
    }
    this.prune(now);
    const count = this.times.length - this.head;
    if (count < rpd) return { at: now, full: false };
    return { at: this.times[this.times.length - rpd]! + this.dayMs, full: true };
  }

  add(at: number, now: number): void {
    if (this.real) {
      const key = nextPacificMidnight(at);
      this.days.set(key, (this.days.get(key) ?? 0) + 1);
      for (const day of this.days.keys()) if (day <= now) this.days.delete(day);
      return;
    }
    this.prune(now);
    let position = this.times.length;
    while (position > this.head && this.times[position - 1]! > at) position--;
    this.times.splice(position, 0, at); // an append unless a mirrored booking came late
  }

  remove(at: number): void {
    if (this.real) {
      const key = nextPacificMidnight(at);
      this.days.set(key, Math.max(0, (this.days.get(key) ?? 1) - 1));
      return;
    }
    const position = this.times.lastIndexOf(at);
    if (position >= this.head) this.times.splice(position, 1);
  }

  count(now: number): number {
    if (this.real) return this.days.get(nextPacificMidnight(now)) ?? 0;
    this.prune(now);
    let count = 0;
    for (let position = this.times.length - 1; position >= this.head && this.times[position]! > now; position--)
      count--;
    return this.times.length - this.head + count;
  }
}

interface PairState {
  minute: MinuteBuckets;
  day: DayCount;
}

/** Bookings in this process's memory. `peek` and `mirror` serve the failover store's local view. */
export class MemoryPacingStore implements PacingStore {
  readonly kind = 'memory' as const;
  private readonly pairs = new Map<string, PairState>();
  private readonly geometry: BucketGeometry;

  /** `windows`: the quota windows this store counts in (read by the failover store for day ends). */
  constructor(readonly windows: Windows) {
    this.geometry = bucketGeometry(windows);
  }

  private state(pair: string): PairState {
    let state = this.pairs.get(pair);
    if (!state) {
      state = { minute: new MinuteBuckets(this.geometry), day: new DayCount(this.windows.dayMs) };
      this.pairs.set(pair, state);
    }
    return state;
  }

  /** Books a slot (see PacingStore); `id` names the booking (default: a fresh uuid). */
  async reserve(pair: string, tokens: number, limits: Limits, now: number, id = randomUUID()): Promise<Booked> {
    const state = this.state(pair);
    state.minute.prune(now);
    // A spent day books nothing: the caller parks the pair until the day has room again.
    const day = state.day.room(limits.rpd, now);
    if (day.full) return { at: day.at, id: '', dayFull: true };
    const at = state.minute.slot(tokens, limits, now, true);
    this.book(state, { at, tokens, id }, now);
    return { at, id, dayFull: false };
  }

  /** When a request could be booked now, without booking it (no I/O, nothing changes). */
  peek(pair: string, tokens: number, limits: Limits, now: number): number {
    const state = this.pairs.get(pair);
    if (!state) return now;
    const day = state.day.room(limits.rpd, now);
    return day.full ? day.at : state.minute.slot(tokens, limits, now, false);
  }

  /** Records a booking made elsewhere (in Redis), so peek() sees this process's own queue. */
  mirror(pair: string, booking: { at: number; tokens: number; id: string }, now: number): void {
    const state = this.state(pair);
    state.minute.prune(now);
    this.book(state, booking, now);
  }

  private book(state: PairState, booking: { at: number; tokens: number; id: string }, now: number): void {
    state.minute.add(booking.at, booking.tokens, booking.id);
    state.day.add(booking.at, now);
  }

  async cancel(pair: string, id: string): Promise<void> {
    const state = this.pairs.get(pair);
    const at = state?.minute.remove(id);
    // A booking the minute has already forgotten keeps its day count: it was (as far as we know) sent.
    if (state && at !== undefined) state.day.remove(at);
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    this.pairs.get(pair)?.minute.correct(id, tokens);
  }

  /** Limits learned from 429s live in the pacer; one process has nothing to share. */
  async learn(): Promise<void> {}

  async usage(pair: string, now: number): Promise<PairUsage> {
    const state = this.state(pair);
    const minute = state.minute.usage(now, this.windows.minuteMs);
    return {
      minuteRequests: minute.requests,
      minuteTokens: minute.tokens,
      dayRequests: state.day.count(now),
      waiting: minute.waiting,
    };
  }

  async close(): Promise<void> {
    this.pairs.clear();
  }
}
