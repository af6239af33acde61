// What every resource module gets: the emulator's state (keys, clock, faults, quotas), a way to call
// the emulator's own generate route (batches and Google's OpenAI layer answer through it, so faults,
// quotas and answers are the same as a direct call), and the per-resource call log tests read.
import { EMULATOR_DEFAULTS } from '../config.js';
import type { EmulatorState, KeyRecord } from '../state.js';

/** Who is calling: the key's record (project, tier, state) and the raw key for internal calls. */
export interface ResourceCaller {
  key: KeyRecord;
}

/** Calls per project, and per resource name per project (GET /_emulator/resources). */
export interface ResourceStats {
  byProject: Record<string, number>;
  byResource: Record<string, Record<string, number>>;
}

export class ResourceContext {
  private stats: ResourceStats = { byProject: {}, byResource: {} };

  constructor(
    readonly state: EmulatorState,
    /** The emulator's own handler; used for generateContent calls made on a caller's behalf. */
    readonly dispatch: (request: Request) => Promise<Response>,
  ) {}

  now(): number {
    return this.state.clock.now();
  }

  /** One emulated minute, ms (compressible through the emulator's `clock.minuteMs`). */
  minuteMs(): number {
    return this.state.config.clock?.minuteMs ?? EMULATOR_DEFAULTS.minuteMs;
  }

  /** One emulated day, ms (compressible through the emulator's `clock.dayMs`). */
  dayMs(): number {
    return this.state.config.clock?.dayMs ?? EMULATOR_DEFAULTS.dayMs;
  }

  countCall(project: string): void {
    this.stats.byProject[project] = (this.stats.byProject[project] ?? 0) + 1;
  }

  /** Records that `project` made a call naming `resource` (files/x, cachedContents/y, batches/z). */
  countResource(resource: string, project: string): void {
    const row = (this.stats.byResource[resource] ??= {});
    row[project] = (row[project] ?? 0) + 1;
  }

  snapshot(): ResourceStats {
    return structuredClone(this.stats);
  }

  resetStats(): void {
    this.stats = { byProject: {}, byResource: {} };
  }
}
