// The emulator's mutable state: checked config, key and model tables, quota ledger, fault plan, stats.
import { createHash } from 'node:crypto';
import { seededRandom, type Clock } from '../time/index.js';
import {
  EMULATOR_DEFAULTS,
  emulatorConfigSchema,
  type CheckedEmulatorConfig,
  type EmulatorConfig,
  type EmulatorKey,
  type KeyState,
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

/** One request as GET /_emulator/requests shows it. Keys appear only as their last 4 characters. */
export interface RecordedRequest {
  /** Emulator clock time it arrived, ms. */
  at: number;
  method: string;
  /** Path and query, with any `key=` value redacted. */
  path: string;
  model?: string;
  project?: string;
  /** The API key's last 4 characters. */
  keyHint?: string;
  /** The body as parsed JSON (its text when it is not JSON; omitted above 1 MB). */
  body?: unknown;
  /** The text of every part of `contents`, joined by newlines ('' for requests without contents). */
  prompt: string;
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
  /** The last requests received (config.recordRequests, 50 by default), oldest first. */
  requests: RecordedRequest[] = [];
  /** Key states set at run time (POST /_emulator/keys/{key}); they win over the config. */
  keyStates = new Map<string, KeyState>();

  record(entry: RecordedRequest): void {
    const limit = this.config.recordRequests ?? EMULATOR_DEFAULTS.recordRequests;
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
    const record = this.keys
      ? this.keys.get(key)
      : { key, project: projectForKey(key), tier: 'free' as const, state: 'active' as const };
    const override = this.keyStates.get(key);
    if (override === undefined) return record;
    return { ...(record ?? { key, project: projectForKey(key), tier: 'free' }), state: override };
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
