// Shared pacing that never stops a request because Redis is in trouble. Bookings go to Redis while it
// answers within its command timeout; on the first failure of any shape (refused, down, stalled,
// slow, flapping: they all end as a failed or timed-out command) the store paces in this process's
// memory, says so once, and probes Redis on a timer. The first probe answered in time brings the
// shared store back (a stalled server keeps its connection open, so waiting for a reconnect alone
// would wait forever). Bookings made in Redis are mirrored in memory, so estimates (`peek`) need no
// round trip and a fall-back starts from this process's own recent traffic. Bookings made in memory
// while degraded are copied to Redis before it is used again (each counted once, however often the
// copy is retried), so the fleet's minute and day include what this process sent meanwhile.
import { randomUUID } from 'node:crypto';
import { nextPacificMidnight } from '../time/index.js';
import { realClock, type Clock } from '../time/index.js';
import type { Limits } from './limits.js';
import { MemoryPacingStore } from './memory-store.js';
import { RedisPacingStore } from './redis-store.js';
import { REAL_DAY_MS, type Booked, type PacingStore, type PairUsage, type Windows } from './store.js';

/** What the failover store tells its owner. */
export type FailoverEvent = { type: 'pacing-degraded'; reason: string } | { type: 'pacing-restored' };

/** The shared side of a failover store: a PacingStore whose health can be watched and probed. */
export interface SharedPacingStore extends PacingStore {
  /** True while connected (commands may still be slow). */
  readonly ready: boolean;
  /** Calls `listener` on every (re)connection; returns the function that stops it. */
  onReady(listener: () => void): () => void;
  /** One round trip that fails like any command when the store is slow or away. */
  ping(): Promise<void>;
  /**
   * Copies a booking made in memory (`id`, for `at`, `tokens` input tokens) into the shared state,
   * counted once however often it is asked; resolves with its id there. `now`: epoch ms.
   */
  merge(pair: string, id: string, at: number, tokens: number, now: number, triedAt?: number): Promise<string>;
  /** Books a slot under `id` (so a booking whose answer was lost can be recognised by `merge`). */
  reserve(pair: string, tokens: number, limits: Limits, now: number, id?: string): Promise<Booked>;
}

/** A booking made in memory while degraded, waiting to be copied to the shared store. */
interface UnsharedBooking {
  pair: string;
  at: number;
  tokens: number;
  /** The shared store was asked to book it (at this time) and did not answer in time: it may hold it. */
  triedAt?: number | undefined;
  /** Given back while it may also be in the shared store: the copy then takes it out there. */
  cancelled?: boolean;
}

export interface FailoverStoreOptions {
  shared: SharedPacingStore;
  local: MemoryPacingStore;
  /** Timers for the connect wait and the probes. Default: the real clock. */
  clock?: Clock | undefined;
  /** How long the first booking waits for the first connection, ms. Default 1000. */
  connectWaitMs?: number | undefined;
  /** How often a degraded store probes the shared one, ms. Default 1000. */
  probeEveryMs?: number | undefined;
  onEvent?: ((event: FailoverEvent) => void) | undefined;
}

/** How long a copied booking's id is followed for its correction, ms (a long call's length). */
const FOLLOW_COPIED_MS = 15 * 60_000;
/** At most this many copied ids are followed, oldest forgotten first. */
const MAX_FOLLOWED = 100_000;

/** Ids the shared store hands out carry their bucket ("BUCKET:uuid"); local ones are bare uuids. */
const isShared = (id: string) => id.includes(':');

export class FailoverStore implements PacingStore {
  private degraded = false;
  private firstConnection: Promise<void> | undefined;
  private stopProbe: (() => void) | undefined;
  private readonly stopReady: () => void;
  private closed = false;
  private readonly clock: Clock;
  /** Bookings made in memory while degraded, by local id, oldest first: copied back on restore. */
  private readonly unshared = new Map<string, UnsharedBooking>();
  /** Local id → its id in the shared store once copied, so a later cancel or correction follows it. */
  private readonly copied = new Map<string, { sharedId: string; at: number }>();

  constructor(private readonly options: FailoverStoreOptions) {
    this.clock = options.clock ?? realClock;
    // A reconnection is a good moment to probe rather than wait for the timer.
    this.stopReady = options.shared.onReady(() => {
      if (this.degraded) void this.probe();
    });
  }

  /** 'redis' while bookings are shared, 'memory' while degraded. */
  get kind(): 'memory' | 'redis' {
    return this.degraded ? 'memory' : 'redis';
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /** At start-up, gives the first connection a moment (once, shared by all callers). */
  private connected(): Promise<void> {
    if (this.options.shared.ready) return Promise.resolve();
    this.firstConnection ??= new Promise<void>((resolve) => {
      const done = () => {
        cancel();
        stop();
        resolve();
      };
      const cancel = this.clock.timer(this.options.connectWaitMs ?? 1000, done);
      const stop = this.options.shared.onReady(done);
    });
    return this.firstConnection;
  }

  private degrade(error: unknown): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    const message = error instanceof Error ? error.message : String(error);
    this.options.onEvent?.({
      type: 'pacing-degraded',
      reason: `Redis unavailable (${message}): pacing per process until it answers in time again`,
    });
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.stopProbe?.();
    this.stopProbe = this.clock.timer(this.options.probeEveryMs ?? 1000, () => void this.probe());
  }

  private probing = false;

  private async probe(): Promise<void> {
    if (!this.degraded || this.closed || this.probing) return;
    this.probing = true;
    try {
      await this.options.shared.ping();
      if (!this.degraded || this.closed) return;
      await this.copyBack();
      if (!this.degraded || this.closed) return;
      this.degraded = false;
      this.stopProbe?.();
      this.options.onEvent?.({ type: 'pacing-restored' });
    } catch {
      if (this.degraded && !this.closed) this.scheduleProbe();
    } finally {
      this.probing = false;
    }
  }

  /**
   * Copies every booking made in memory while degraded to the shared store (throws, leaving the rest
   * for the next probe, when the store fails). Bookings made during the copy are copied too: when it
   * returns, nothing is left, and the caller switches to the shared store in the same tick.
   */
  private async copyBack(): Promise<void> {
    while (this.unshared.size > 0) {
      const now = this.clock.now();
      this.forgetCopied(now);
      await Promise.all(
        [...this.unshared].map(async ([id, booking]) => {
          const sent = booking.tokens;
          const sharedId = await this.options.shared.merge(booking.pair, id, booking.at, sent, now, booking.triedAt);
          if (booking.cancelled || this.unshared.get(id) !== booking) {
            // Given back before or while being copied: take it back out of the shared store too.
            await this.options.shared.cancel(booking.pair, sharedId, now);
            this.unshared.delete(id);
            return;
          }
          this.unshared.delete(id);
          this.copied.set(id, { sharedId, at: booking.at });
          if (booking.tokens !== sent) await this.options.shared.correct(booking.pair, sharedId, booking.tokens);
        }),
      );
    }
  }

  /** The end of the quota day a booking at `at` counts in (ms since the epoch). */
  private dayEndOf(at: number): number {
    const dayMs = this.options.local.windows.dayMs;
    return dayMs === REAL_DAY_MS ? nextPacificMidnight(at) : at + dayMs;
  }

  /**
   * Drops what can no longer matter: bookings whose day is over (never copied: they count nowhere
   * now), and copied ids older than the longest call is worth following (their correction is moot).
   */
  private forgetCopied(now: number): void {
    for (const [id, booking] of this.unshared) {
      if (this.dayEndOf(booking.at) > now) break;
      this.unshared.delete(id);
    }
    for (const [id, copy] of this.copied) {
      if (copy.at > now - FOLLOW_COPIED_MS && this.copied.size <= MAX_FOLLOWED) break;
      this.copied.delete(id);
    }
  }

  async reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked> {
    await this.connected();
    // One id for both stores: if Redis runs a reservation whose answer came too late, the copy back
    // recognises it instead of counting the request twice.
    const id = randomUUID();
    let triedAt: number | undefined;
    if (!this.degraded) {
      try {
        const booked = await this.options.shared.reserve(pair, tokens, limits, now, id);
        if (!booked.dayFull) this.options.local.mirror(pair, { at: booked.at, tokens, id: booked.id }, now);
        return booked;
      } catch (error) {
        triedAt = now;
        this.degrade(error);
      }
    }
    const booked = await this.options.local.reserve(pair, tokens, limits, now, id);
    if (!booked.dayFull) {
      this.forgetCopied(now);
      this.unshared.set(booked.id, { pair, at: booked.at, tokens, triedAt });
    }
    return booked;
  }

  peek(pair: string, tokens: number, limits: Limits, now: number): number {
    return this.options.local.peek(pair, tokens, limits, now);
  }

  /** Runs `action` on the shared store unless degraded; a failure degrades instead of throwing. */
  private async shared(action: (store: SharedPacingStore) => Promise<unknown>): Promise<void> {
    if (this.degraded) return;
    try {
      await action(this.options.shared);
    } catch (error) {
      this.degrade(error);
    }
  }

  /** The booking's id in the shared store: its own, or the one its copy got; undefined if unshared. */
  private sharedIdOf(id: string): string | undefined {
    return isShared(id) ? id : this.copied.get(id)?.sharedId;
  }

  async cancel(pair: string, id: string, now: number): Promise<void> {
    await this.options.local.cancel(pair, id);
    const waiting = this.unshared.get(id);
    // One the shared store may hold waits for the copy, which takes it out there.
    if (waiting?.triedAt !== undefined) waiting.cancelled = true;
    else this.unshared.delete(id);
    const sharedId = this.sharedIdOf(id);
    this.copied.delete(id);
    if (sharedId) await this.shared((store) => store.cancel(pair, sharedId, now));
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    await this.options.local.correct(pair, id, tokens);
    const waiting = this.unshared.get(id);
    if (waiting) waiting.tokens = tokens;
    const sharedId = this.sharedIdOf(id);
    this.copied.delete(id); // a correction is the last word on a booking
    if (sharedId) await this.shared((store) => store.correct(pair, sharedId, tokens));
  }

  async learn(pair: string, window: 'rpm' | 'tpm' | 'rpd', limit: number): Promise<void> {
    await this.shared((store) => store.learn(pair, window, limit));
  }

  async usage(pair: string, now: number): Promise<PairUsage> {
    if (!this.degraded) {
      try {
        return await this.options.shared.usage(pair, now);
      } catch (error) {
        this.degrade(error);
      }
    }
    return this.options.local.usage(pair, now);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopProbe?.();
    this.stopReady();
    await Promise.all([this.options.shared.close(), this.options.local.close()]);
  }
}

export interface PacingStoreOptions {
  windows: Windows;
  /** redis://… to share pacing between processes; without it the store is memory only. */
  redis?: string | undefined;
  redisPrefix?: string | undefined;
  /** Redis command timeout, ms: slower counts as trouble. Default 250. */
  redisTimeoutMs?: number | undefined;
  clock?: Clock | undefined;
  onEvent?: ((event: FailoverEvent) => void) | undefined;
}

/** The store a pacer uses by default: memory, or Redis behind a failover to memory. */
export function createPacingStore(options: PacingStoreOptions): PacingStore {
  const local = new MemoryPacingStore(options.windows);
  if (!options.redis) return local;
  const shared = new RedisPacingStore({
    url: options.redis,
    windows: options.windows,
    prefix: options.redisPrefix,
    commandTimeoutMs: options.redisTimeoutMs,
  });
  return new FailoverStore({ shared, local, clock: options.clock, onEvent: options.onEvent });
}
