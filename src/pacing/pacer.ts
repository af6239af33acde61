// The pacer the pipeline consults before every attempt: it books each request a slot on its
// (project, model) pair so no rolling minute exceeds the pair's RPM or TPM and no day its RPD.
// Bookings are FIFO. State lives in memory, or in Redis when several processes share keys; when
// Redis is down or slow the pacer keeps serving with per-process limits and says so.
import type { GeminiError, QuotaViolation } from '../errors/index.js';
import { resolveLimits, type Limits, type Tier } from './limits.js';
import { MemoryPacingStore } from './memory-store.js';
import { RedisPacingStore } from './redis-store.js';
import { defaultWindows, type PacingStore, type Windows } from './store.js';

export interface Reservation {
  /** When the request may be sent. */
  at: number;
  /** The pair's day is spent: nothing was booked and `at` is when the day has room (or Infinity). */
  dayFull: boolean;
  /** sent: false gives the slot back; inputTokens corrects the estimate. */
  release(outcome: { sent: boolean; inputTokens?: number }): void;
}

export interface PairSnapshot {
  project: string;
  model: string;
  minute: { requests: number; rpm: number | null; tokens: number; tpm: number | null };
  day: { requests: number; rpd: number | null };
  parkedUntil: number | null;
  waiting: number;
  learned: Limits;
}

export interface Pacer {
  /** A local estimate of when the pair could send, without booking (no I/O). */
  peek(project: string, model: string, tokens: number, now: number): number;
  reserve(project: string, model: string, tokens: number, now: number): Promise<Reservation>;
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
  /** Compressed windows for the emulator's clock. */
  clock?: { minuteMs?: number | undefined; dayMs?: number | undefined };
  /** redis://… to share pacing between processes. */
  redis?: string;
  redisPrefix?: string;
  onEvent?: (event: PacerEvent) => void;
}

/** How long the first booking waits for Redis to connect before pacing per process. */
const CONNECT_WAIT_MS = 1000;

const NOTHING: Reservation = { at: 0, dayFull: false, release: () => undefined };

const pairKey = (project: string, model: string) => `${project}/${model}`;

/** Which window a violated quota counts. */
function windowOf(violation: QuotaViolation): 'rpm' | 'tpm' | 'rpd' | undefined {
  const name = `${violation.id ?? ''} ${violation.metric ?? ''}`;
  if (violation.scope === 'day') return /token/i.test(name) ? undefined : 'rpd';
  if (violation.scope === 'minute') return /token/i.test(name) ? 'tpm' : 'rpm';
  return undefined;
}

class Semaphore {
  private active = 0;
  private queue: Array<() => void> = [];
  constructor(private readonly size: number) {}

  async enter(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.queue = this.queue.filter((entry) => entry !== wake);
          reject(signal!.reason);
        };
        this.queue.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active++;
    }
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      const next = this.queue.shift();
      if (next)
        next(); // the slot passes straight to the next in line
      else this.active--;
    };
  }
}

export class GeminiPacer implements Pacer {
  readonly windows: Windows;
  private readonly local: MemoryPacingStore;
  private readonly remote: RedisPacingStore | undefined;
  private degraded = false;
  private readonly learned = new Map<string, Limits>();
  private readonly parked = new Map<string, number>();
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly known = new Map<string, { project: string; model: string }>();

  constructor(private readonly options: PacerOptions = {}) {
    this.windows = defaultWindows(options.clock);
    this.local = new MemoryPacingStore(this.windows);
    if (options.redis) {
      this.remote = new RedisPacingStore({
        url: options.redis,
        windows: this.windows,
        ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}),
      });
      this.remote.redis.on('ready', () => {
        if (!this.degraded) return;
        this.degraded = false;
        options.onEvent?.({ type: 'pacing-restored' });
      });
    }
  }

  get storeKind(): 'memory' | 'redis' {
    return this.remote && !this.degraded ? 'redis' : 'memory';
  }

  limitsFor(project: string, model: string): Limits {
    const tier = this.options.tiers?.[project];
    return resolveLimits(model, {
      ...(tier ? { tier } : {}),
      ...(this.options.limits?.[model] ? { configured: this.options.limits[model] } : {}),
      ...(this.learned.has(pairKey(project, model)) ? { learned: this.learned.get(pairKey(project, model))! } : {}),
    });
  }

  private paced(limits: Limits): boolean {
    return limits.rpm !== undefined || limits.tpm !== undefined || limits.rpd !== undefined;
  }

  peek(project: string, model: string, tokens: number, now: number): number {
    const pair = pairKey(project, model);
    const parked = this.parked.get(pair);
    if (parked !== undefined && parked > now) return parked;
    const limits = this.limitsFor(project, model);
    return this.paced(limits) ? this.local.peek(pair, tokens, limits, now) : now;
  }

  private degrade(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.options.onEvent?.({
      type: 'pacing-degraded',
      reason: `Redis unavailable (${(error as Error).message ?? String(error)}): pacing per process until it is back`,
    });
  }

  private store(): PacingStore {
    return this.remote && !this.degraded ? this.remote : this.local;
  }

  private everReady = false;

  /** At start-up, gives the first Redis connection a moment before falling back to memory. */
  private async connected(): Promise<void> {
    const redis = this.remote?.redis;
    if (!redis || this.everReady || this.degraded) return;
    if (redis.status === 'ready') {
      this.everReady = true;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CONNECT_WAIT_MS);
      function done() {
        clearTimeout(timer);
        redis!.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
    this.everReady = (redis.status as string) === 'ready';
  }

  async reserve(project: string, model: string, tokens: number, now: number): Promise<Reservation> {
    const limits = this.limitsFor(project, model);
    const pair = pairKey(project, model);
    this.known.set(pair, { project, model });
    // With Redis every request goes through the shared store: limits other processes learned apply.
    if (!this.paced(limits) && !(this.remote && !this.degraded)) {
      // Unlimited so far, but traffic is still recorded: a limit learned from a 429 then starts
      // from what was really sent in the last minute.
      const booked = await this.local.reserve(pair, tokens, {}, now);
      return {
        at: now,
        dayFull: false,
        release: ({ sent, inputTokens }) => {
          if (!sent) void this.local.cancel(pair, booked.id);
          else if (inputTokens !== undefined) void this.local.correct(pair, booked.id, inputTokens);
        },
      };
    }
    await this.connected();
    let store = this.store();
    let booked;
    try {
      booked = await store.reserve(pair, tokens, limits, now);
    } catch (error) {
      this.degrade(error);
      store = this.local;
      booked = await store.reserve(pair, tokens, limits, now);
    }
    if (booked.dayFull) {
      this.parked.set(pair, booked.at);
      return { at: booked.at, dayFull: true, release: () => undefined };
    }
    if (store !== this.local) this.local.mirror(pair, { at: booked.at, tokens, id: booked.id });
    const used = store;
    return {
      at: booked.at,
      dayFull: false,
      release: ({ sent, inputTokens }) => {
        const done = sent
          ? inputTokens !== undefined
            ? Promise.all([
                used.correct(pair, booked.id, inputTokens),
                used === this.local ? undefined : this.local.correct(pair, booked.id, inputTokens),
              ])
            : undefined
          : Promise.all([
              used.cancel(pair, booked.id, now),
              used === this.local ? undefined : this.local.cancel(pair, booked.id),
            ]);
        done?.catch((error: unknown) => this.degrade(error));
      },
    };
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

  learn(project: string, model: string, error: GeminiError): void {
    const pair = pairKey(project, model);
    this.known.set(pair, { project, model });
    const learned = { ...this.learned.get(pair) };
    for (const violation of error.quota) {
      const window = windowOf(violation);
      if (!window || violation.limit === undefined || violation.limit <= 0) continue;
      if (this.remote && !this.degraded)
        this.remote.learn(pair, window, violation.limit).catch((failure: unknown) => this.degrade(failure));
      if (learned[window] === undefined || violation.limit < learned[window]!) {
        learned[window] = violation.limit;
        this.options.onEvent?.({ type: 'limit-learned', project, model, window, limit: violation.limit });
      }
    }
    this.learned.set(pair, learned);
  }

  async snapshot(now: number): Promise<PairSnapshot[]> {
    const out: PairSnapshot[] = [];
    for (const [pair, { project, model }] of this.known) {
      let usage;
      try {
        usage = await this.store().usage(pair, now);
      } catch {
        usage = await this.local.usage(pair, now);
      }
      const limits = this.limitsFor(project, model);
      const parked = this.parked.get(pair);
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
        parkedUntil: parked !== undefined && parked > now ? parked : null,
        waiting: usage.waiting,
        learned: this.learned.get(pair) ?? {},
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.remote?.close();
  }
}

/** A pacer that never waits: used when no limits, tiers or Redis are configured. */
export const unlimitedPacer: Pacer = {
  peek: (_project, _model, _tokens, now) => now,
  reserve: async (_project, _model, _tokens, now) => ({ ...NOTHING, at: now }),
  enter: async () => () => undefined,
  learn: () => undefined,
  snapshot: async () => [],
  close: async () => undefined,
};
