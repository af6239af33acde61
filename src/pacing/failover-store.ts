// Shared pacing that never stops a request because Redis is in trouble. Bookings go to Redis while it
// answers within its command timeout; on the first failure of any shape (refused, down, stalled,
// slow, flapping: they all end as a failed or timed-out command) the store paces in this process's
// memory, says so once, and probes Redis on a timer. The first probe answered in time brings the
// shared store back (a stalled server keeps its connection open, so waiting for a reconnect alone
// would wait forever). Bookings made in Redis are mirrored in memory, so estimates (`peek`) need no
// round trip and a fall-back starts from this process's own recent traffic.
import { realClock, type Clock } from '../time/index.js';
import type { Limits } from './limits.js';
import { MemoryPacingStore } from './memory-store.js';
import { RedisPacingStore } from './redis-store.js';
import type { Booked, PacingStore, PairUsage, Windows } from './store.js';

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

/** Ids the shared store hands out carry their bucket ("BUCKET:uuid"); local ones are bare uuids. */
const isShared = (id: string) => id.includes(':');

export class FailoverStore implements PacingStore {
  private degraded = false;
  private firstConnection: Promise<void> | undefined;
  private stopProbe: (() => void) | undefined;
  private readonly stopReady: () => void;
  private closed = false;
  private readonly clock: Clock;

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
      this.degraded = false;
      this.stopProbe?.();
      this.options.onEvent?.({ type: 'pacing-restored' });
    } catch {
      if (this.degraded && !this.closed) this.scheduleProbe();
    } finally {
      this.probing = false;
    }
  }

  async reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked> {
    await this.connected();
    if (!this.degraded) {
      try {
        const booked = await this.options.shared.reserve(pair, tokens, limits, now);
        if (!booked.dayFull) this.options.local.mirror(pair, { at: booked.at, tokens, id: booked.id }, now);
        return booked;
      } catch (error) {
        this.degrade(error);
      }
    }
    return this.options.local.reserve(pair, tokens, limits, now);
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

  async cancel(pair: string, id: string, now: number): Promise<void> {
    await this.options.local.cancel(pair, id);
    if (isShared(id)) await this.shared((store) => store.cancel(pair, id, now));
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    await this.options.local.correct(pair, id, tokens);
    if (isShared(id)) await this.shared((store) => store.correct(pair, id, tokens));
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
