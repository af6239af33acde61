// The pacer the pipeline consults before every attempt: it books each request a slot on its
// (project, model) pair so no rolling minute exceeds the pair's RPM or TPM and no day its RPD.
// Bookings are FIFO. Where bookings live is the store's business (memory, or Redis behind a
// failover to memory: failover-store.ts); the pacer owns limits, learned limits and the per-model
// concurrency cap. A spent day is reported by a booking (`dayFull`), not remembered here: the caller
// parks the pair in the key pool (policy/key-pool.ts), the one owner of parked pairs.
import type { GeminiError, QuotaViolation } from '../errors/index.js';
import { abortReason, type Clock } from '../time/index.js';
import { TokenCalibration } from './calibration.js';
import { createPacingStore } from './failover-store.js';
import { resolveLimits, type Limits, type Tier } from './limits.js';
import { Semaphore } from './semaphore.js';
import { defaultWindows, type Booked, type PacingStore, type QuotaWindows, type Windows } from './store.js';

export interface Reservation {
  /** When the request may be sent. */
  at: number;
  /**
   * The pair's day is spent: nothing was booked and `at` is when the day has room (or Infinity). The
   * pacer keeps no park of its own; the caller parks the pair where parks live (the key pool).
   */
  dayFull: boolean;
  /** sent: false gives the slot back; inputTokens corrects the estimate. */
  release: (outcome: { sent: boolean; inputTokens?: number }) => void;
}

export interface PairSnapshot {
  project: string;
  model: string;
  minute: { requests: number; rpm: number | null; tokens: number; tpm: number | null };
  day: { requests: number; rpd: number | null };
  waiting: number;
  learned: Limits;
}

export interface Pacer {
  /**
   * A local estimate of when the pair could send, without booking (no I/O): the end of a spent day,
   * else the next free slot of the rolling minute. Parks are the key pool's, read before this.
   */
  peek(project: string, model: string, tokens: number, now: number): number;
  /**
   * Books a slot for a request of `tokens` estimated input tokens at `now` (epoch ms). When `signal`
   * aborts before the booking is made (e.g. while Redis is slow to answer), rejects with the signal's
   * reason and gives back the booking the store makes afterwards, so a caller that left holds no slot.
   */
  reserve(project: string, model: string, tokens: number, now: number, signal?: AbortSignal): Promise<Reservation>;
  /** Waits for a concurrency slot of the model (FIFO); resolves with the function that frees it. */
  enter(model: string, signal?: AbortSignal): Promise<() => void>;
  /** Learns lower limits from a 429's QuotaFailure. */
  learn(project: string, model: string, error: GeminiError, now: number): void;
  snapshot(now: number): Promise<PairSnapshot[]>;
  close(): Promise<void>;
}

export type PacerEvent =
  | { type: 'pacing-degraded'; reason: string }
  | { type: 'pacing-restored' }
  | { type: 'limit-learned'; project: string; model: string; window: 'rpm' | 'tpm' | 'rpd'; limit: number };

export interface PacerOptions {
  /** Limits per model (all projects). */
  limits?: Record<string, Limits>;
  /** The tier of each project, for documented default limits. */
  tiers?: Record<string, Tier>;
  /** The quota windows' lengths (see QuotaWindows): real by default, compressed for the emulator. */
  quotaWindows?: QuotaWindows;
  /** @deprecated The old name of `quotaWindows`, accepted for one release. */
  clock?: QuotaWindows;
  /** redis://… to share pacing between processes (ignored when `store` is given). */
  redis?: string;
  redisPrefix?: string;
  /** Redis command timeout of the default store, ms: a slower answer counts as trouble. Default 250. */
  redisTimeoutMs?: number;
  /** Where bookings live. Default: memory, or Redis behind a failover to memory when `redis` is set. */
  store?: PacingStore;
  /** Timers of the default store (Redis connect wait and probes). Default: the real clock. */
  time?: Clock;
  onEvent?: (event: PacerEvent) => void;
}

const NOTHING: Reservation = { at: 0, dayFull: false, release: () => undefined };

const pairKey = (project: string, model: string) => `${project}/${model}`;

/**
 * `work`'s result, or a rejection with the signal's reason as soon as it aborts; a result that comes
 * after the abort is handed to `late` (to be undone) instead of being lost.
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) late(value);
        else {
          settled = true;
          resolve(value);
        }
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) {
          settled = true;
          reject(error);
        }
      },
    );
  });
}

/** Which window a violated quota counts. */
function windowOf(violation: QuotaViolation): 'rpm' | 'tpm' | 'rpd' | undefined {
  const name = `${violation.id ?? ''} ${violation.metric ?? ''}`;
  if (violation.scope === 'day') return /token/i.test(name) ? undefined : 'rpd';
  if (violation.scope === 'minute') return /token/i.test(name) ? 'tpm' : 'rpm';
  return undefined;
}

export class GeminiPacer implements Pacer {
  readonly windows: Windows;
  readonly store: PacingStore;
  private readonly learned = new Map<string, Limits>();
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly known = new Map<string, { project: string; model: string }>();
  /** Per model, how far real token counts are from the estimates (raised by TPM 429s too). */
  readonly calibration = new TokenCalibration();

  constructor(private readonly options: PacerOptions = {}) {
    this.windows = defaultWindows(options.quotaWindows ?? options.clock);
    this.store =
      options.store ??
      createPacingStore({
        windows: this.windows,
        redis: options.redis,
        redisPrefix: options.redisPrefix,
        redisTimeoutMs: options.redisTimeoutMs,
        clock: options.time,
        onEvent: (event) => options.onEvent?.(event),
      });
  }

  /** Where bookings are made right now: 'redis', or 'memory' (also while Redis is in trouble). */
  get storeKind(): 'memory' | 'redis' {
    return this.store.kind;
  }

  limitsFor(project: string, model: string): Limits {
    const tier = this.options.tiers?.[project];
    return resolveLimits(model, {
      ...(tier ? { tier } : {}),
      ...(this.options.limits?.[model] ? { configured: this.options.limits[model] } : {}),
      ...(this.learned.has(pairKey(project, model)) ? { learned: this.learned.get(pairKey(project, model))! } : {}),
    });
  }

  peek(project: string, model: string, tokens: number, now: number): number {
    return this.store.peek(
      pairKey(project, model),
      this.calibration.scale(model, tokens),
      this.limitsFor(project, model),
      now,
    );
  }

  /**
   * Books a slot. With no limit known the booking is still recorded (at once): a limit learned from
   * a 429 then starts from what was really sent, and with Redis, limits other processes learned apply.
   */
  async reserve(
    project: string,
    model: string,
    tokens: number,
    now: number,
    signal?: AbortSignal,
  ): Promise<Reservation> {
    if (signal?.aborted) throw abortReason(signal);
    const limits = this.limitsFor(project, model);
    const pair = pairKey(project, model);
    this.known.set(pair, { project, model });
    const booking = this.store.reserve(pair, this.calibration.scale(model, tokens), limits, now);
    const booked = signal
      ? await unlessAborted(booking, signal, (late) => this.giveBack(pair, late, now))
      : await booking;
    if (booked.dayFull) return { at: booked.at, dayFull: true, release: () => undefined };
    return {
      at: booked.at,
      dayFull: false,
      release: ({ sent, inputTokens }) => {
        // Store trouble is the store's to report (a failover store degrades); a release never throws.
        if (sent && inputTokens !== undefined) this.calibration.observe(model, tokens, inputTokens);
        const done = !sent
          ? this.store.cancel(pair, booked.id, now)
          : inputTokens !== undefined
            ? this.store.correct(pair, booked.id, inputTokens)
            : undefined;
        done?.catch(() => undefined);
      },
    };
  }

  /** Cancels a booking its caller no longer wants (store trouble is the store's to report). */
  private giveBack(pair: string, booked: Booked, now: number): void {
    if (!booked.dayFull) this.store.cancel(pair, booked.id, now).catch(() => undefined);
  }

  async enter(model: string, signal?: AbortSignal): Promise<() => void> {
    const size = this.options.limits?.[model]?.concurrency;
    if (size === undefined) return () => undefined;
    let semaphore = this.semaphores.get(model);
    if (!semaphore) {
      semaphore = new Semaphore(size);
      this.semaphores.set(model, semaphore);
    }
    return semaphore.enter(signal);
  }

  learn(project: string, model: string, error: GeminiError, now: number): void {
    const pair = pairKey(project, model);
    this.known.set(pair, { project, model });
    const learned = { ...this.learned.get(pair) };
    for (const violation of error.quota) {
      const window = windowOf(violation);
      if (!window || violation.limit === undefined || violation.limit <= 0) continue;
      this.store.learn(pair, window, violation.limit).catch(() => undefined);
      if (window === 'tpm') this.recalibrate(pair, model, violation.limit, now);
      if (learned[window] === undefined || violation.limit < learned[window]) {
        learned[window] = violation.limit;
        this.options.onEvent?.({ type: 'limit-learned', project, model, window, limit: violation.limit });
      }
    }
    this.learned.set(pair, learned);
  }

  /** A TPM 429 while our count of the minute fitted `limit`: the estimates are low (calibration.ts). */
  private recalibrate(pair: string, model: string, limit: number, now: number): void {
    this.store
      .usage(pair, now)
      .then((usage) => this.calibration.refused(model, usage.minuteTokens, limit))
      .catch(() => undefined);
  }

  async snapshot(now: number): Promise<PairSnapshot[]> {
    const out: PairSnapshot[] = [];
    for (const [pair, { project, model }] of this.known) {
      const usage = await this.store.usage(pair, now).catch(() => undefined);
      if (!usage) continue;
      const limits = this.limitsFor(project, model);
      out.push({
        project,
        model,
        minute: {
          requests: usage.minuteRequests,
          rpm: limits.rpm ?? null,
          tokens: usage.minuteTokens,
          tpm: limits.tpm ?? null,
        },
        day: { requests: usage.dayRequests, rpd: limits.rpd ?? null },
        waiting: usage.waiting,
        learned: this.learned.get(pair) ?? {},
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** A pacer that never waits and records nothing: pass it as the client's `pacer` to turn pacing off. */
export const unlimitedPacer: Pacer = {
  peek: (_project, _model, _tokens, now) => now,
  reserve: async (_project, _model, _tokens, now) => ({ ...NOTHING, at: now }),
  enter: async () => () => undefined,
  learn: () => undefined,
  snapshot: async () => [],
  close: async () => undefined,
};
