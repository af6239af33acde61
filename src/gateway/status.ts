// What the status page shows: recent errors and what gemwarden did about them, activity over the
// last minutes, and the client's live state (keys, circuits, parked pairs, pacing). Key hints only.
import type { GeminiClient } from '../client/index.js';
import { explain, type ErrorKind, type GeminiError } from '../errors/index.js';
import { realClock } from '../time/index.js';

export interface RecentError {
  at: number;
  model: string;
  keyHint: string;
  kind: ErrorKind;
  status: number | null;
  message: string;
  title: string;
  explanation: string;
  action: string;
}

export interface ActivityEntry {
  at: number;
  text: string;
}

interface Bucket {
  t: number;
  requests: number;
  retries: number;
  fallbacks: number;
  failures: number;
}

const BUCKET_MS = 10_000;
const BUCKETS = 60; // ten minutes
const MAX_ERRORS = 50;
const MAX_ACTIVITY = 50;
/** Project/model rows shown at most (model names come from clients); the rest are counted. */
export const MAX_STATUS_ROWS = 200;

const ACTIONS: Record<string, string> = {
  retry: 'retried',
  fallback: 'fell back to the next model',
  shrink: 'shrank the request',
  fail: 'gave up (nothing can fix this by retrying)',
};

/**
 * What the policy did, in words: the action, then the rule's own reason (policy/rules.ts), the
 * words the attempt-failed event carries, so the status page never words a decision a second time.
 */
function actionWords(action: string, reason: string): string {
  return `${ACTIONS[action] ?? action}: ${reason}`;
}

export class StatusCollector {
  readonly recentErrors: RecentError[] = [];
  readonly activity: ActivityEntry[] = [];
  private buckets: Bucket[] = [];

  constructor(
    private readonly client: GeminiClient,
    private readonly upstream: string,
    private readonly now: () => number = () => realClock.now(),
  ) {
    client.on('attempt-failed', (event) => {
      this.push(
        this.recentErrors,
        {
          at: this.now(),
          model: event.model,
          keyHint: event.keyHint,
          kind: event.kind,
          status: event.status ?? null,
          message: event.message.slice(0, 300),
          // explain()'s words for the situation (e.g. a per-day quota, a suspended key), not only the kind's.
          title: event.title,
          explanation: event.explanation,
          action: actionWords(event.action, event.reason),
        },
        MAX_ERRORS,
      );
      if (event.action === 'retry') this.bucket().retries++;
    });
    client.on('model-fallback', (event) => {
      this.bucket().fallbacks++;
      this.note(`fell back from ${event.from} to ${event.to}: ${event.reason}`);
    });
    client.on('request-succeeded', () => {
      this.bucket().requests++;
    });
    client.on('request-failed', () => {
      const bucket = this.bucket();
      bucket.requests++;
      bucket.failures++;
    });
    client.on('key-parked', (event) =>
      this.note(
        `parked ${event.project}/${event.model} until ${Number.isFinite(event.until) ? new Date(event.until).toISOString() : 'restart'}: ${event.reason}`,
      ),
    );
    client.on('key-disabled', (event) =>
      this.note(`took key ${event.keyHint} out${event.model ? ` for ${event.model}` : ''}: ${event.reason}`),
    );
    client.on('key-restored', (event) =>
      this.note(
        `key ${event.keyHint} is back${event.model ? ` for ${event.model}` : ''}: a probe found it healthy after ${Math.round(event.downForMs / 1000)} s out`,
      ),
    );
    client.on('key-probe', (event) => {
      if (!event.ok)
        this.note(
          `probed key ${event.keyHint}: still out; next probe in ${Math.round((event.nextProbeInMs ?? 0) / 1000)} s`,
        );
    });
    client.on('fleet-state', (event) =>
      this.note(
        event.state === 'shared'
          ? 'fleet state is shared through Redis'
          : (event.reason ?? 'fleet state is kept per process: Redis does not answer'),
      ),
    );
    client.on('circuit-opened', (event) =>
      this.note(`opened the circuit of ${event.model} until ${new Date(event.until).toISOString()}`),
    );
    client.on('circuit-closed', (event) => this.note(`closed the circuit of ${event.model}: it answers again`));
    client.on('pacing-degraded', (event) => this.note(event.reason));
    client.on('pacing-restored', () => this.note('Redis is back: pacing is shared again'));
    client.on('limit-learned', (event) =>
      this.note(`learned ${event.window} = ${event.limit} for ${event.project}/${event.model} from a 429`),
    );
  }

  /** A stream that failed after its first chunk: shown as a failed request and a recent error. */
  streamFailed(error: GeminiError): void {
    const bucket = this.bucket();
    bucket.requests++;
    bucket.failures++;
    const words = explain(error);
    this.push(
      this.recentErrors,
      {
        at: this.now(),
        model: error.model ?? '(unknown)',
        keyHint: error.keyHint ?? '',
        kind: error.kind,
        status: error.httpStatus ?? null,
        message: error.message.slice(0, 300),
        title: words.title,
        explanation: words.explanation,
        action: 'stream cut after its first chunk: the client got the chunks so far and the error',
      },
      MAX_ERRORS,
    );
  }

  private push<T>(list: T[], item: T, max: number): void {
    list.unshift(item);
    if (list.length > max) list.length = max;
  }

  private note(text: string): void {
    this.push(this.activity, { at: this.now(), text }, MAX_ACTIVITY);
  }

  private bucket(): Bucket {
    const t = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.t !== t) {
      last = { t, requests: 0, retries: 0, fallbacks: 0, failures: 0 };
      this.buckets.push(last);
      while (this.buckets.length > BUCKETS) this.buckets.shift();
    }
    return last;
  }

  private series(): Bucket[] {
    const end = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const byTime = new Map(this.buckets.map((bucket) => [bucket.t, bucket]));
    return Array.from({ length: BUCKETS }, (_, index) => {
      const t = end - (BUCKETS - 1 - index) * BUCKET_MS;
      return byTime.get(t) ?? { t, requests: 0, retries: 0, fallbacks: 0, failures: 0 };
    });
  }

  async json(): Promise<Record<string, unknown>> {
    const snapshot = await this.client.snapshot();
    const now = this.now();
    const circuits = Object.fromEntries(snapshot.circuits.map((circuit) => [circuit.model, circuit]));
    const pairs = new Map<string, Record<string, unknown>>();
    const rowFor = (project: string, model: string) => {
      const id = `${project}/${model}`;
      const row = pairs.get(id) ?? {
        project,
        model,
        circuit: circuits[model]?.state ?? 'closed',
        minute: null,
        day: null,
        parkedUntil: null,
        coolingUntil: null,
        parkedReason: null,
        waiting: 0,
      };
      pairs.set(id, row);
      return row;
    };
    for (const pacing of snapshot.pacing)
      Object.assign(rowFor(pacing.project, pacing.model), {
        minute: pacing.minute,
        day: pacing.day,
        waiting: pacing.waiting,
      });
    // Parks (per-day 429s, and spent days the pacer found) are the key pool's: one holder.
    for (const pair of snapshot.pairs) {
      const row = rowFor(pair.project, pair.model);
      if (pair.parkedUntil !== undefined)
        Object.assign(row, {
          parkedUntil: Number.isFinite(pair.parkedUntil) ? pair.parkedUntil : 'restart',
          parkedReason: pair.parkedReason ?? null,
        });
      if (pair.coolingUntil !== undefined) row.coolingUntil = pair.coolingUntil;
    }
    return {
      generatedAt: now,
      upstream: this.upstream,
      pacingStore: snapshot.pacingStore,
      fleet: snapshot.fleet,
      keys: snapshot.keys,
      circuits: snapshot.circuits,
      pairs: [...pairs.values()].slice(0, MAX_STATUS_ROWS),
      hiddenPairs: Math.max(0, pairs.size - MAX_STATUS_ROWS),
      droppedModels: snapshot.droppedModels,
      retryBudget: snapshot.retryBudget,
      recentErrors: this.recentErrors,
      activity: this.activity,
      series: { bucketMs: BUCKET_MS, buckets: this.series() },
    };
  }
}
