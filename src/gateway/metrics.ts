// Prometheus metrics of one gateway, fed by the pipeline's events. Labels carry models, kinds and
// routes, never key material.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GeminiClient } from '../client/index.js';

/** Distinct model label values one gateway exports at most; further models share the label "other". */
export const MAX_MODEL_LABELS = 100;

/**
 * Bounds the model label values: clients choose model names, and every distinct value is a
 * time series kept for the life of the process. Configured models always get their own label; other
 * models get one while there is room, except names the upstream answered "not found" for (they
 * create no series at all); everything else is counted under "other".
 */
export class ModelLabels {
  private readonly seen = new Set<string>();

  constructor(
    private readonly configured: ReadonlySet<string> = new Set(),
    private readonly cap = MAX_MODEL_LABELS,
  ) {}

  /** The label value for `model`; `kind` is the failure kind of the event, if it was a failure. */
  label(model: string, kind?: string): string {
    if (this.configured.has(model) || this.seen.has(model)) return model;
    if (kind === 'not_found' || kind === 'invalid_request' || this.seen.size >= this.cap) return 'other';
    this.seen.add(model);
    return model;
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'gemwarden_requests_total',
    help: 'Requests answered by the gateway',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly attempts = new Counter({
    name: 'gemwarden_upstream_attempts_total',
    help: 'Upstream attempts by model and outcome (ok or error kind)',
    labelNames: ['model', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'gemwarden_failures_total',
    help: 'Requests that failed after every remedy, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: 'gemwarden_fallbacks_total',
    help: 'Model fallbacks',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'gemwarden_retries_total',
    help: 'Retries scheduled, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly pacingWait = new Histogram({
    name: 'gemwarden_pacing_wait_seconds',
    help: 'Time requests waited for quota',
    labelNames: ['model'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });
  readonly upstreamLatency = new Histogram({
    name: 'gemwarden_upstream_latency_seconds',
    help: 'Duration of upstream attempts by model',
    labelNames: ['model'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly circuitOpen = new Gauge({
    name: 'gemwarden_circuit_open',
    help: "1 while a model's circuit is open",
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly keysDisabled = new Counter({
    name: 'gemwarden_keys_disabled_total',
    help: 'Keys taken out of the pool, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly streamRepairs = new Counter({
    name: 'gemwarden_stream_repairs_total',
    help: 'Mid-stream repairs tried, by mode, strategy (restart, prefill, anchored) and outcome',
    labelNames: ['mode', 'strategy', 'outcome'] as const,
    registers: [this.registry],
  });

  /** The counter children of `requests` by route and status: prom-client hashes labels on every `inc`. */
  private readonly requestCounters = new Map<string, { inc(): void }>();

  /** Counts one answered request (`gemwarden_requests_total{route, status}`). */
  countRequest(route: string, status: number): void {
    const id = `${route} ${status}`;
    let counter = this.requestCounters.get(id);
    if (!counter) {
      counter = this.requests.labels({ route, status: String(status) });
      this.requestCounters.set(id, counter);
    }
    counter.inc();
  }

  /** `configuredModels`: models named in the config (fallback chains, limits); they always get a label. */
  constructor(client: GeminiClient, configuredModels: Iterable<string> = []) {
    const models = new ModelLabels(new Set(configuredModels));
    client.on('attempt-failed', (event) => {
      const model = models.label(event.model, event.kind);
      this.attempts.inc({ model, outcome: event.kind });
      this.upstreamLatency.observe({ model }, event.durationMs / 1000);
    });
    client.on('attempt-succeeded', (event) => {
      const model = models.label(event.model);
      this.attempts.inc({ model, outcome: 'ok' });
      this.upstreamLatency.observe({ model }, event.durationMs / 1000);
    });
    client.on('model-fallback', (event) =>
      this.fallbacks.inc({ from: models.label(event.from), to: models.label(event.to) }),
    );
    client.on('retry-scheduled', (event) => this.retries.inc({ kind: event.kind }));
    client.on('quota-waited', (event) =>
      this.pacingWait.observe({ model: models.label(event.model) }, event.waitedMs / 1000),
    );
    client.on('circuit-opened', (event) => this.circuitOpen.set({ model: models.label(event.model) }, 1));
    client.on('circuit-closed', (event) => this.circuitOpen.set({ model: models.label(event.model) }, 0));
    client.on('key-disabled', (event) => this.keysDisabled.inc({ kind: event.kind }));
    client.on('request-failed', (event) => this.failures.inc({ kind: event.kind }));
    client.on('stream-repair', (event) =>
      this.streamRepairs.inc({ mode: event.mode, strategy: event.strategy, outcome: event.outcome }),
    );
  }
}
