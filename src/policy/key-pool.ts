// The pool of API keys, grouped by project (Gemini counts quota per project, not per key).
// It remembers which keys are out (why, since when, and when to probe them again), which
// (project, model) pairs are cooling down after a rate limit, and which are parked until a quota
// resets. It is the one owner of parked pairs. Time comes in as `now` (or the `now` source given at
// construction); nothing here reads a clock or sets a timer: the key prober (pipeline/) does.
import { keyHint } from '../errors/index.js';
import type { Tier } from '../wire/index.js';

export interface KeySpec {
  key: string;
  project?: string | undefined;
  tier?: Tier | undefined;
}

export interface PooledKey {
  key: string;
  hint: string;
  project: string;
  tier?: KeySpec['tier'];
  /** Why the key is out for every model, if it is. */
  disabled?: string;
  /** Models this key may not call, with the reason. */
  disabledModels: Map<string, string>;
}

/**
 * How a key taken out is probed again (issue 15): first after `initialMs`, then after twice the
 * last interval, up to `maxMs`. A key taken out again soon after it came back resumes the doubling
 * where it stopped, so a key that flaps costs ever fewer calls.
 */
export interface KeyProbeOptions {
  /** First probe after the key left the pool, ms (default one minute). */
  initialMs: number;
  /** Longest interval between two probes, ms (default one hour). */
  maxMs: number;
  /** Time one probe call may take, ms (default 30 s); longer counts as "still out". */
  timeoutMs: number;
}

/** Any of KeyProbeOptions; the rest from KEY_PROBE_DEFAULTS. */
export type KeyProbeOverrides = { [K in keyof KeyProbeOptions]?: KeyProbeOptions[K] | undefined };

export const KEY_PROBE_DEFAULTS: KeyProbeOptions = { initialMs: 60_000, maxMs: 3_600_000, timeoutMs: 30_000 };

/** A key (or a key for one model) out of the pool: why, since when, and its probe schedule. */
export interface KeyOutage {
  key: PooledKey;
  /** Set when the key is out for this model only. */
  model?: string;
  /** The model whose call took the key out (the probe asks about it). */
  seenOn?: string;
  reason: string;
  /** Epoch ms when the key left. */
  since: number;
  /** Epoch ms of the next probe. */
  nextProbeAt: number;
  /** The interval that led to `nextProbeAt`, ms. */
  intervalMs: number;
  /** Probes made so far that found the key still out. */
  failedProbes: number;
}

export interface KeySnapshot {
  keyHint: string;
  project: string;
  healthy: boolean;
  disabled?: string;
  disabledModels: Record<string, string>;
  /** Every outage of the key (the whole key, or one model), with its probe schedule. */
  outages: Array<{ model?: string; reason: string; since: number; nextProbeAt: number; failedProbes: number }>;
}
export interface PairSnapshot {
  project: string;
  model: string;
  coolingUntil?: number;
  parkedUntil?: number;
  parkedReason?: string;
}

/** What changed in the pool, for whoever mirrors or schedules it (the key prober, fleet state). */
export type PoolChange =
  | { type: 'key-out'; outage: KeyOutage }
  | { type: 'key-back'; key: PooledKey; model?: string; outage: KeyOutage }
  | { type: 'probe-rescheduled'; outage: KeyOutage }
  | { type: 'parked'; project: string; model: string; until: number; reason: string }
  | { type: 'cooling'; project: string; model: string; until: number };

export interface KeyPoolOptions {
  probe?: KeyProbeOverrides;
  /** The time of calls that pass no `now` (epoch ms). Default: 0, i.e. probes due at once. */
  now?: () => number;
}

const pair = (project: string, model: string) => `${project}\u0000${model}`;
const outageId = (entry: PooledKey, model: string | undefined) => `${entry.key}\u0000${model ?? ''}`;

export class KeyPool {
  readonly keys: PooledKey[];
  readonly probe: KeyProbeOptions;
  private cooling = new Map<string, number>();
  private parked = new Map<string, { until: number; reason: string }>();
  private lastUsed = new Map<string, number>();
  private sequence = 0;
  private readonly outages = new Map<string, KeyOutage>();
  /** The last interval of outages that ended, with when they ended: a relapse resumes the doubling. */
  private readonly recovered = new Map<string, { intervalMs: number; at: number }>();
  private readonly listeners = new Set<(change: PoolChange) => void>();
  private readonly now: () => number;

  constructor(specs: ReadonlyArray<string | KeySpec>, options: KeyPoolOptions = {}) {
    const probe = options.probe ?? {};
    this.probe = {
      initialMs: probe.initialMs ?? KEY_PROBE_DEFAULTS.initialMs,
      maxMs: probe.maxMs ?? KEY_PROBE_DEFAULTS.maxMs,
      timeoutMs: probe.timeoutMs ?? KEY_PROBE_DEFAULTS.timeoutMs,
    };
    this.now = options.now ?? (() => 0);
    const seen = new Set<string>();
    this.keys = [];
    for (const spec of specs) {
      const { key, project, tier } =
        typeof spec === 'string' ? { key: spec, project: undefined, tier: undefined } : spec;
      const trimmed = key.trim();
      if (!trimmed || seen.has(trimmed)) continue;
      seen.add(trimmed);
      const hint = keyHint(trimmed);
      // A key of unknown project is assumed to be its own project.
      this.keys.push({
        key: trimmed,
        hint,
        project: project ?? `key${hint}#${this.keys.length + 1}`,
        ...(tier ? { tier } : {}),
        disabledModels: new Map(),
      });
    }
  }

  /** Calls `listener` on every change of keys out, parks and cooling; returns the unsubscribe. */
  onChange(listener: (change: PoolChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(change: PoolChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not break the pool.
      }
    }
  }

  usable(model: string): PooledKey[] {
    return this.keys.filter((entry) => !entry.disabled && !entry.disabledModels.has(model));
  }

  /** Earliest time a key may send to a model: cooling and parking of its (project, model) pair. */
  readyAt(entry: PooledKey, model: string, now: number): number {
    const parked = this.parked.get(pair(entry.project, model));
    if (parked && parked.until > now) return parked.until;
    const cooling = this.cooling.get(pair(entry.project, model)) ?? 0;
    return Math.max(now, cooling);
  }

  isParked(project: string, model: string, now: number): boolean {
    return this.parkedUntil(project, model, now) !== undefined;
  }

  /** When the pair's park ends, or undefined when it is not parked at `now`. */
  parkedUntil(project: string, model: string, now: number): number | undefined {
    const parked = this.parked.get(pair(project, model));
    return parked !== undefined && parked.until > now ? parked.until : undefined;
  }

  /** Least recently used first, so projects take turns. */
  byFairness(entries: PooledKey[]): PooledKey[] {
    return [...entries].sort((a, b) => (this.lastUsed.get(a.key) ?? -1) - (this.lastUsed.get(b.key) ?? -1));
  }

  markUsed(entry: PooledKey): void {
    this.lastUsed.set(entry.key, ++this.sequence);
  }

  coolDown(project: string, model: string, until: number): void {
    const key = pair(project, model);
    const previous = this.cooling.get(key) ?? 0;
    if (until <= previous) return;
    this.cooling.set(key, until);
    this.tell({ type: 'cooling', project, model, until });
  }

  /** Parks the pair until `until` (a later park wins over an earlier one). */
  park(project: string, model: string, until: number, reason: string): void {
    const key = pair(project, model);
    const previous = this.parked.get(key);
    if (previous && previous.until >= until && previous.reason === reason) return;
    this.parked.set(key, { until, reason });
    this.tell({ type: 'parked', project, model, until, reason });
  }

  /**
   * Takes the key out for every model, or for `model` only, and schedules its first probe. `seenOn`
   * names the model whose call showed the fault (what a probe of a whole key asks about). Taking
   * out a key that is already out keeps its schedule.
   */
  disable(entry: PooledKey, reason: string, model?: string, now = this.now(), seenOn = model): void {
    if (model) entry.disabledModels.set(model, reason);
    else entry.disabled = reason;
    const id = outageId(entry, model);
    const existing = this.outages.get(id);
    if (existing) {
      existing.reason = reason;
      return;
    }
    const relapse = this.recovered.get(id);
    const intervalMs =
      relapse && now - relapse.at < this.probe.maxMs
        ? Math.min(this.probe.maxMs, relapse.intervalMs * 2)
        : this.probe.initialMs;
    const outage: KeyOutage = {
      key: entry,
      ...(model ? { model } : {}),
      ...(seenOn ? { seenOn } : {}),
      reason,
      since: now,
      nextProbeAt: now + intervalMs,
      intervalMs,
      failedProbes: 0,
    };
    this.outages.set(id, outage);
    this.tell({ type: 'key-out', outage });
  }

  /** Puts the key back (for every model, or for `model` only); returns the outage it ends. */
  restore(entry: PooledKey, model?: string, now = this.now()): KeyOutage | undefined {
    const id = outageId(entry, model);
    const outage = this.outages.get(id);
    if (model) entry.disabledModels.delete(model);
    else delete entry.disabled;
    if (!outage) return undefined;
    this.outages.delete(id);
    this.recovered.set(id, { intervalMs: outage.intervalMs, at: now });
    this.tell({ type: 'key-back', key: entry, ...(model ? { model } : {}), outage });
    return outage;
  }

  /** A probe found the key still out: the next probe comes after twice the interval (capped). */
  probeFailed(outage: KeyOutage, now = this.now()): void {
    outage.failedProbes++;
    outage.intervalMs = Math.min(this.probe.maxMs, outage.intervalMs * 2);
    outage.nextProbeAt = now + outage.intervalMs;
    this.tell({ type: 'probe-rescheduled', outage });
  }

  /**
   * Sets an outage's schedule as another process decided it (fleet state): the interval and the
   * next probe time, so that every process waits for the same probe.
   */
  reschedule(outage: KeyOutage, nextProbeAt: number, intervalMs: number, failedProbes: number): void {
    outage.nextProbeAt = nextProbeAt;
    outage.intervalMs = intervalMs;
    outage.failedProbes = failedProbes;
  }

  /** The outage of the key (for `model`, or the whole key), if it is out. */
  outage(entry: PooledKey, model?: string): KeyOutage | undefined {
    return this.outages.get(outageId(entry, model));
  }

  /** Every outage, whole keys and single models. */
  allOutages(): KeyOutage[] {
    return [...this.outages.values()];
  }

  /** Outages whose probe is due at `now`. */
  dueProbes(now: number): KeyOutage[] {
    return this.allOutages().filter((outage) => outage.nextProbeAt <= now);
  }

  /** When the soonest probe is due, or undefined when no key is out. */
  nextProbeAt(): number | undefined {
    let soonest: number | undefined;
    for (const outage of this.outages.values())
      if (soonest === undefined || outage.nextProbeAt < soonest) soonest = outage.nextProbeAt;
    return soonest;
  }

  /** Parked and cooling pairs still in force at `now` (for fleet state and snapshots). */
  pairs(now: number): PairSnapshot[] {
    const pairs = new Map<string, PairSnapshot>();
    const entryFor = (id: string) => {
      const [project, model] = id.split('\u0000') as [string, string];
      const existing = pairs.get(id) ?? { project, model };
      pairs.set(id, existing);
      return existing;
    };
    for (const [id, until] of this.cooling) if (until > now) entryFor(id).coolingUntil = until;
    for (const [id, parked] of this.parked) {
      if (parked.until > now) Object.assign(entryFor(id), { parkedUntil: parked.until, parkedReason: parked.reason });
    }
    return [...pairs.values()];
  }

  snapshot(now: number): { keys: KeySnapshot[]; pairs: PairSnapshot[] } {
    return {
      keys: this.keys.map((entry) => ({
        keyHint: entry.hint,
        project: entry.project,
        healthy: !entry.disabled && entry.disabledModels.size === 0,
        ...(entry.disabled ? { disabled: entry.disabled } : {}),
        disabledModels: Object.fromEntries(entry.disabledModels),
        outages: this.allOutages()
          .filter((outage) => outage.key === entry)
          .map((outage) => ({
            ...(outage.model ? { model: outage.model } : {}),
            reason: outage.reason,
            since: outage.since,
            nextProbeAt: outage.nextProbeAt,
            failedProbes: outage.failedProbes,
          })),
      })),
      pairs: this.pairs(now),
    };
  }
}
