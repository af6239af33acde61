// The pool of API keys, grouped by project (Gemini counts quota per project, not per key).
// It remembers which keys are out (and why), which (project, model) pairs are cooling down after a
// rate limit, and which are parked until a quota resets. Time comes in as `now`.
import { keyHint } from '../errors/index.js';

export interface KeySpec {
  key: string;
  project?: string | undefined;
  tier?: 'free' | 'tier1' | 'tier2' | 'tier3' | undefined;
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

export interface KeySnapshot {
  keyHint: string;
  project: string;
  healthy: boolean;
  disabled?: string;
  disabledModels: Record<string, string>;
}
export interface PairSnapshot {
  project: string;
  model: string;
  coolingUntil?: number;
  parkedUntil?: number;
  parkedReason?: string;
}

const pair = (project: string, model: string) => `${project}\u0000${model}`;

export class KeyPool {
  readonly keys: PooledKey[];
  private cooling = new Map<string, number>();
  private parked = new Map<string, { until: number; reason: string }>();
  private lastUsed = new Map<string, number>();
  private sequence = 0;

  constructor(specs: ReadonlyArray<string | KeySpec>) {
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
    const parked = this.parked.get(pair(project, model));
    return parked !== undefined && parked.until > now;
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
    this.cooling.set(key, Math.max(this.cooling.get(key) ?? 0, until));
  }

  park(project: string, model: string, until: number, reason: string): void {
    this.parked.set(pair(project, model), { until, reason });
  }

  disable(entry: PooledKey, reason: string, model?: string): void {
    if (model) entry.disabledModels.set(model, reason);
    else entry.disabled = reason;
  }

  snapshot(now: number): { keys: KeySnapshot[]; pairs: PairSnapshot[] } {
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
    return {
      keys: this.keys.map((entry) => ({
        keyHint: entry.hint,
        project: entry.project,
        healthy: !entry.disabled && entry.disabledModels.size === 0,
        ...(entry.disabled ? { disabled: entry.disabled } : {}),
        disabledModels: Object.fromEntries(entry.disabledModels),
      })),
      pairs: [...pairs.values()],
    };
  }
}
