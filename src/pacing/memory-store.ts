// Pacing state in this process's memory.
import { randomUUID } from 'node:crypto';
import { nextPacificMidnight } from '../time/index.js';
import type { Limits } from './limits.js';
import { earliestSlot, type Booking } from './sliding-log.js';
import { REAL_DAY_MS, type Booked, type PacingStore, type PairUsage, type Windows } from './store.js';

interface PairState {
  log: Booking[];
  /** The same bookings by id, so corrections and cancellations need no search. */
  byId: Map<string, Booking>;
  /** Real days: requests booked per day (keyed by the day's end). Compressed days: a rolling log. */
  days: Map<number, number>;
  dayLog: number[];
}

export class MemoryPacingStore implements PacingStore {
  readonly kind = 'memory' as const;
  private pairs = new Map<string, PairState>();

  constructor(private readonly windows: Windows) {}

  private state(pair: string): PairState {
    let state = this.pairs.get(pair);
    if (!state) {
      state = { log: [], byId: new Map(), days: new Map(), dayLog: [] };
      this.pairs.set(pair, state);
    }
    return state;
  }

  private window(): number {
    return this.windows.minuteMs + this.windows.marginMs;
  }

  /** When the day holding `at` has room, or the start of the next day with room. */
  private dayRoom(state: PairState, at: number, rpd: number | undefined): { at: number; full: boolean } {
    if (rpd === undefined) return { at, full: false };
    if (this.windows.dayMs === REAL_DAY_MS) {
      let slot = at;
      let full = false;
      while ((state.days.get(nextPacificMidnight(slot)) ?? 0) >= rpd) {
        slot = nextPacificMidnight(slot);
        full = true;
        if (rpd === 0) return { at: Number.POSITIVE_INFINITY, full: true };
      }
      return { at: slot, full };
    }
    if (rpd === 0) return { at: Number.POSITIVE_INFINITY, full: true };
    const inDay = state.dayLog.filter((time) => time + this.windows.dayMs > at);
    if (inDay.length < rpd) return { at, full: false };
    return { at: inDay[inDay.length - rpd]! + this.windows.dayMs, full: true };
  }

  async reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked> {
    const state = this.state(pair);
    this.prune(state, now);
    if (this.windows.dayMs !== REAL_DAY_MS) {
      while (state.dayLog.length > 0 && state.dayLog[0]! + this.windows.dayMs <= now) state.dayLog.shift();
    }
    const at = earliestSlot(state.log, tokens, limits, now, this.window());
    // A spent day books nothing: the caller parks the pair until the day has room again.
    const day = this.dayRoom(state, now, limits.rpd);
    if (day.full) return { at: day.at, id: '', dayFull: true };
    const id = randomUUID();
    const booking = { at, tokens, id };
    state.log.push(booking);
    state.byId.set(id, booking);
    if (this.windows.dayMs === REAL_DAY_MS) {
      const dayKey = nextPacificMidnight(at);
      state.days.set(dayKey, (state.days.get(dayKey) ?? 0) + 1);
      for (const key of state.days.keys()) if (key <= now) state.days.delete(key);
    } else {
      state.dayLog.push(at);
    }
    return { at, id, dayFull: false };
  }

  /** When a request could be booked now, without booking it (no I/O). */
  peek(pair: string, tokens: number, limits: Limits, now: number): number {
    const state = this.pairs.get(pair);
    if (!state) return now;
    this.prune(state, now);
    const at = earliestSlot(state.log, tokens, limits, now, this.window());
    const day = this.dayRoom(state, now, limits.rpd);
    return day.full ? day.at : at;
  }

  /** Records a booking made elsewhere (in Redis), so peek() sees this process's own queue. */
  mirror(pair: string, booking: { at: number; tokens: number; id: string }): void {
    const state = this.state(pair);
    this.prune(state, booking.at - this.window());
    state.log.push(booking);
    state.byId.set(booking.id, booking);
    if (state.log.length > 1 && state.log[state.log.length - 2]!.at > booking.at) state.log.sort((a, b) => a.at - b.at);
  }

  private prune(state: PairState, now: number): void {
    let drop = 0;
    while (drop < state.log.length && state.log[drop]!.at + this.window() <= now)
      state.byId.delete(state.log[drop++]!.id);
    if (drop > 0) state.log.splice(0, drop);
  }

  async cancel(pair: string, id: string): Promise<void> {
    const state = this.pairs.get(pair);
    const found = state?.byId.get(id);
    if (!state || !found) return;
    state.byId.delete(id);
    const index = state.log.lastIndexOf(found);
    if (index < 0) return;
    const [booking] = state.log.splice(index, 1);
    if (this.windows.dayMs === REAL_DAY_MS) {
      const dayKey = nextPacificMidnight(booking!.at);
      state.days.set(dayKey, Math.max(0, (state.days.get(dayKey) ?? 1) - 1));
    } else {
      const dayIndex = state.dayLog.indexOf(booking!.at);
      if (dayIndex >= 0) state.dayLog.splice(dayIndex, 1);
    }
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    const booking = this.pairs.get(pair)?.byId.get(id);
    if (booking) booking.tokens = tokens;
  }

  async usage(pair: string, now: number): Promise<PairUsage> {
    const state = this.state(pair);
    const inMinute = state.log.filter((booking) => booking.at > now - this.windows.minuteMs && booking.at <= now);
    const dayRequests =
      this.windows.dayMs === REAL_DAY_MS
        ? (state.days.get(nextPacificMidnight(now)) ?? 0)
        : state.dayLog.filter((time) => time + this.windows.dayMs > now && time <= now).length;
    return {
      minuteRequests: inMinute.length,
      minuteTokens: inMinute.reduce((sum, booking) => sum + booking.tokens, 0),
      dayRequests,
      waiting: state.log.filter((booking) => booking.at > now).length,
    };
  }

  pairsKnown(): string[] {
    return [...this.pairs.keys()];
  }

  async close(): Promise<void> {
    this.pairs.clear();
  }
}
