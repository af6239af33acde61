// The emulator's mutable state: checked config, key and model tables, quota ledger, fault plan, stats.
import { createHash } from 'node:crypto';
import { seededRandom, type Clock } from '../time/index.js';
import {
  EMULATOR_DEFAULTS,
  emulatorConfigSchema,
  type CheckedEmulatorConfig,
  type EmulatorConfig,
  type EmulatorKey,
  type Tier,
} from './config.js';
import { FaultPlan } from './fault-plan.js';
import { buildModels, type EmulatedModel } from './models.js';
import { QuotaLedger } from './quota-ledger.js';

export interface EmulatorStats {
  total: number;
  byStatus: Record<string, number>;
  byModel: Record<string, number>;
  byProject: Record<string, number>;
  midStreamErrors: number;
  /** Requests whose client went away before the answer was complete. */
  clientAborts: number;
  /** Requests admitted by quota per (project/model) per minute index of the emulated clock. */
  minutes: Record<string, Record<string, number>>;
}

export interface KeyRecord {
  key: string;
  project: string;
  tier: Tier;
  state: NonNullable<EmulatorKey['state']>;
}

export class EmulatorState {
  config!: CheckedEmulatorConfig;
  models!: Map<string, EmulatedModel>;
  keys: Map<string, KeyRecord> | undefined;
  faults!: FaultPlan;
  ledger: QuotaLedger;
  variant: () => number;
  /** The last generate requests, when config.recordRequests asks for them. */
  requests: Array<{ at: number; model: string; project: string; status?: number; prompt: string }> = [];

  record(entry: { at: number; model: string; project: string; prompt: string }): void {
    const limit = this.config.recordRequests ?? 0;
    if (limit <= 0) return;
    this.requests.push(entry);
    if (this.requests.length > limit) this.requests.splice(0, this.requests.length - limit);
  }

  counters = {
    total: 0,
    byStatus: {} as Record<string, number>,
    byModel: {} as Record<string, number>,
    byProject: {} as Record<string, number>,
    midStreamErrors: 0,
    clientAborts: 0,
  };

  constructor(
    config: EmulatorConfig,
    readonly clock: Clock,
  ) {
    const checked = emulatorConfigSchema.parse(config);
    this.ledger = new QuotaLedger({
      minuteMs: checked.clock?.minuteMs ?? EMULATOR_DEFAULTS.minuteMs,
      dayMs: checked.clock?.dayMs ?? EMULATOR_DEFAULTS.dayMs,
      epoch: clock.now(),
    });
    this.variant = seededRandom((checked.seed ?? EMULATOR_DEFAULTS.seed) + 7);
    this.apply(checked);
  }

  /** Applies a configuration on top of the current one; quota counts stay unless the clock changed. */
  apply(config: CheckedEmulatorConfig): void {
    const previous = this.config;
    // Top-level fields replace what was there (faults, keys, latency …); models merge by name.
    this.config = {
      ...previous,
      ...config,
      ...(previous?.models || config.models ? { models: { ...previous?.models, ...config.models } } : {}),
    };
    this.models = buildModels(this.config.models);
    this.keys = this.config.keys
      ? new Map(
          this.config.keys.map((entry) => [
            entry.key,
            {
              key: entry.key,
              project: entry.project ?? projectForKey(entry.key),
              tier: entry.tier ?? 'free',
              state: entry.state ?? 'active',
            },
          ]),
        )
      : undefined;
    this.faults = new FaultPlan(this.config.faults ?? [], this.clock.now(), this.config.seed ?? EMULATOR_DEFAULTS.seed);
    if (previous && (config.clock?.minuteMs !== undefined || config.clock?.dayMs !== undefined)) {
      this.ledger = new QuotaLedger({
        minuteMs: this.config.clock?.minuteMs ?? EMULATOR_DEFAULTS.minuteMs,
        dayMs: this.config.clock?.dayMs ?? EMULATOR_DEFAULTS.dayMs,
        epoch: this.clock.now(),
      });
    }
  }

  /** The key's record: configured, or (with no keys configured) any key as its own project. */
  lookupKey(key: string): KeyRecord | undefined {
    if (!this.keys) return { key, project: projectForKey(key), tier: 'free', state: 'active' };
    return this.keys.get(key);
  }

  /** How a model's streamed text is cut (config `models.NAME.chunking`, words by default). */
  chunkingFor(model: string | undefined): 'words' | 'characters' {
    return (model !== undefined ? this.models.get(model)?.chunking : undefined) ?? 'words';
  }

  countStatus(status: number): void {
    this.counters.byStatus[String(status)] = (this.counters.byStatus[String(status)] ?? 0) + 1;
  }

  stats(): EmulatorStats {
    return { ...structuredClone(this.counters), minutes: this.ledger.minutes() };
  }

  reset(): void {
    this.requests = [];
    this.counters = { total: 0, byStatus: {}, byModel: {}, byProject: {}, midStreamErrors: 0, clientAborts: 0 };
    this.ledger.reset(this.clock.now());
    this.faults = new FaultPlan(this.config.faults ?? [], this.clock.now(), this.config.seed ?? EMULATOR_DEFAULTS.seed);
  }
}

/** A key with no configured project is its own project, named by a hash (never by the key). */
export function projectForKey(key: string): string {
  return `project-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}
