// Binds this process's key pool and model health (the local mirror every request reads) to the
// fleet store: local changes are written to the store, and entries written by other processes are
// applied to the mirror. What is shared: keys out (reason and probe schedule; one process probes,
// all restore), parked and cooling (project, model) pairs, circuit state per model (failures counted
// across the fleet, opened by the one that reaches the threshold, half-open probe sent by one,
// closed for all) and models dropped as not found. It also remembers which instance last changed
// each entry, for the status page.
import { createHash } from 'node:crypto';
import type { KeyOutage, KeyPool, PooledKey, PoolChange } from '../policy/index.js';
import type { PipelineEmitter } from '../pipeline/events.js';
import type { ProbeCoordinator } from '../pipeline/key-prober.js';
import type { HealthChange, ModelHealth } from '../pipeline/model-health.js';
import type { Clock } from '../time/index.js';
import type { FleetConnection, FleetEntry, FleetEntryKind, FleetStore } from './fleet-store.js';

/** How long a shared entry with no natural end (a key out, a model dropped) lives without news, ms. */
const OPEN_ENDED_MS = 24 * 3_600_000;
/** Most entries remembered for "who changed it last". */
const MAX_WRITERS = 500;

export interface FleetSyncOptions {
  store: FleetStore;
  keys: KeyPool;
  health: ModelHealth;
  clock: Clock;
  events: PipelineEmitter;
  /** This process's name in the fleet (shown as the writer of what it changes). */
  instanceId: string;
  /** The breaker's cool-down, ms: how long one process holds a half-open probe. */
  circuitCooldownMs: number;
}

/** Who last changed one shared entry. */
export interface FleetWriter {
  kind: Exclude<FleetEntryKind, 'circuit-fail' | 'circuit-ok'>;
  /** What the entry is about, in words: "key …abcd", "key …abcd for gemini-2.5-pro", "project/model", "model". */
  subject: string;
  /** The instanceId that changed it last. */
  by: string;
  /** Epoch ms of that change. */
  at: number;
  /** Present when the last change removed it (a key back, a circuit closed). */
  removed?: true;
}

/** What /status.json shows of the fleet. */
export interface FleetSnapshot {
  /** 'shared' while Redis answers, 'local' while this process keeps its own state. */
  state: FleetConnection;
  instanceId: string;
  /** Which state is shared through Redis. */
  shares: string[];
  /** The latest changes, newest first, with who made them. */
  writers: FleetWriter[];
}

/** A key's name in shared state: a hash, never the key (keys never leave the process). */
export function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 20);
}

const SHARES = [
  'keys out (reason, probe schedule)',
  'parked project/model pairs',
  'cooling project/model pairs',
  'circuits per model',
  'models dropped as not found',
];

export class FleetSync implements ProbeCoordinator {
  private applying = false;
  private readonly byId = new Map<string, PooledKey>();
  private readonly writers = new Map<string, FleetWriter>();
  private readonly circuitClaims = new Map<string, { state: 'mine' | 'theirs' | 'pending'; until: number }>();
  private readonly stops: Array<() => void> = [];
  private readonly claimTimers = new Map<string, () => void>();

  constructor(private readonly options: FleetSyncOptions) {
    for (const key of options.keys.keys) this.byId.set(keyId(key.key), key);
    const { store, keys, health } = options;
    this.stops.push(
      keys.onChange((change) => this.fromPool(change)),
      health.onChange((change) => this.fromHealth(change)),
      store.onEntry((entry) => this.apply(entry)),
      store.onState((state, reason) => {
        options.events.emit('fleet-state', { state, ...(reason ? { reason } : {}) });
        if (state === 'local') this.circuitClaims.clear();
      }),
    );
    health.setProbeGate((model) => this.mayProbeCircuit(model));
    store.setResync(() => this.resync());
  }

  private get now(): number {
    return this.options.clock.now();
  }

  private entry(kind: FleetEntryKind, id: string, value: Record<string, unknown> | null): FleetEntry {
    return { kind, id, value, by: this.options.instanceId, at: this.now };
  }

  private remember(entry: FleetEntry): void {
    if (entry.kind === 'circuit-fail' || entry.kind === 'circuit-ok') return;
    const name = `${entry.kind}:${entry.id}`;
    this.writers.delete(name);
    this.writers.set(name, {
      kind: entry.kind,
      subject: this.subject(entry),
      by: entry.by,
      at: entry.at,
      ...(entry.value === null ? { removed: true as const } : {}),
    });
    while (this.writers.size > MAX_WRITERS) this.writers.delete(this.writers.keys().next().value as string);
  }

  private subject(entry: FleetEntry): string {
    if (entry.kind !== 'key') return entry.id;
    const [id, model] = splitKeyEntry(entry.id);
    const hint = this.byId.get(id)?.hint ?? '(a key this instance does not hold)';
    return `key ${hint}${model ? ` for ${model}` : ''}`;
  }

  private put(entry: FleetEntry, expireAt: number): void {
    this.remember(entry);
    this.options.store.put(entry, expireAt);
  }

  private remove(entry: FleetEntry): void {
    this.remember(entry);
    this.options.store.remove(entry);
  }

  // ---- local changes → the store ----

  private outageEntry(outage: KeyOutage): FleetEntry {
    return this.entry('key', keyEntryId(outage.key, outage.model), {
      reason: outage.reason,
      since: outage.since,
      nextProbeAt: outage.nextProbeAt,
      intervalMs: outage.intervalMs,
      failedProbes: outage.failedProbes,
      ...(outage.model ? { model: outage.model } : {}),
      ...(outage.seenOn ? { seenOn: outage.seenOn } : {}),
    });
  }

  private putOutage(outage: KeyOutage): void {
    this.put(this.outageEntry(outage), outage.nextProbeAt + this.options.keys.probe.maxMs);
  }

  private fromPool(change: PoolChange): void {
    if (this.applying) return;
    switch (change.type) {
      case 'key-out':
      case 'probe-rescheduled':
        return this.putOutage(change.outage);
      case 'key-back':
        return this.remove(this.entry('key', keyEntryId(change.key, change.model), null));
      case 'parked':
        // JSON has no Infinity: a park for good (no quota on this tier) travels as `forever`.
        return this.put(
          this.entry('park', pairId(change.project, change.model), {
            ...(Number.isFinite(change.until) ? { until: change.until } : { forever: true }),
            reason: change.reason,
          }),
          Number.isFinite(change.until) ? change.until : this.now + OPEN_ENDED_MS,
        );
      case 'cooling':
        return this.put(
          this.entry('cool', pairId(change.project, change.model), { until: change.until }),
          change.until,
        );
    }
  }

  private fromHealth(change: HealthChange): void {
    if (this.applying) return;
    switch (change.type) {
      case 'failure':
        this.options.store.tell(this.entry('circuit-fail', change.model, {}));
        if (change.openedUntil !== undefined) {
          this.circuitClaims.delete(change.model);
          this.claimAt(change.model, change.openedUntil);
          this.put(this.entry('circuit', change.model, { openUntil: change.openedUntil }), change.openedUntil);
        }
        return;
      case 'success':
        this.circuitClaims.delete(change.model);
        if (change.closed) return this.remove(this.entry('circuit', change.model, null));
        return this.options.store.tell(this.entry('circuit-ok', change.model, {}));
      case 'dropped':
        return this.put(this.entry('dropped', change.model, { reason: change.reason }), this.now + OPEN_ENDED_MS);
    }
  }

  // ---- entries from other processes → the local mirror ----

  private apply(entry: FleetEntry): void {
    this.applying = true;
    try {
      this.applyEntry(entry);
      this.remember(entry);
    } finally {
      this.applying = false;
    }
  }

  private applyEntry(entry: FleetEntry): void {
    const { keys, health, events } = this.options;
    const value = entry.value ?? undefined;
    const now = this.now;
    switch (entry.kind) {
      case 'key': {
        const [id, model] = splitKeyEntry(entry.id);
        const key = this.byId.get(id);
        if (!key) return;
        if (!value) {
          const outage = keys.restore(key, model, now);
          if (outage)
            events.emit('key-restored', {
              keyHint: key.hint,
              project: key.project,
              ...(model ? { model } : {}),
              downForMs: now - outage.since,
            });
          return;
        }
        const since = num(value.since) ?? now;
        const seenOn = typeof value.seenOn === 'string' ? value.seenOn : undefined;
        if (!keys.outage(key, model)) keys.disable(key, text(value.reason, 'out (fleet)'), model, since, seenOn);
        const outage = keys.outage(key, model);
        if (outage)
          keys.reschedule(
            outage,
            num(value.nextProbeAt) ?? outage.nextProbeAt,
            num(value.intervalMs) ?? outage.intervalMs,
            num(value.failedProbes) ?? outage.failedProbes,
          );
        return;
      }
      case 'park': {
        const until = value?.forever === true ? Number.POSITIVE_INFINITY : num(value?.until);
        const [project, model] = splitPair(entry.id);
        if (until !== undefined && until > now) keys.park(project, model, until, text(value?.reason, 'parked (fleet)'));
        return;
      }
      case 'cool': {
        const until = num(value?.until);
        const [project, model] = splitPair(entry.id);
        if (until !== undefined && until > now) keys.coolDown(project, model, until);
        return;
      }
      case 'circuit': {
        this.circuitClaims.delete(entry.id);
        if (!value) {
          if (health.existingBreaker(entry.id)?.success({ remote: true }))
            events.emit('circuit-closed', { model: entry.id });
          return;
        }
        const until = num(value.openUntil);
        if (until !== undefined && until > now && health.breaker(entry.id).openUntilAt(until, now)) {
          this.claimAt(entry.id, until);
          events.emit('circuit-opened', { model: entry.id, until });
        }
        return;
      }
      case 'circuit-fail': {
        const opened = health.breaker(entry.id).failure(now, { remote: true });
        if (opened !== undefined) {
          this.claimAt(entry.id, opened);
          events.emit('circuit-opened', { model: entry.id, until: opened });
        }
        return;
      }
      case 'circuit-ok':
        health.existingBreaker(entry.id)?.success({ remote: true });
        return;
      case 'dropped':
        if (value) health.drop(entry.id, text(value.reason, 'not found (fleet)'), { remote: true });
        return;
    }
  }

  // ---- one process probes ----

  /** A key probe: one process of the fleet makes it; the others wait for its verdict. */
  async claim(outage: KeyOutage): Promise<boolean> {
    const { store, keys } = this.options;
    if (store.connection !== 'shared') return true;
    // The claim names the scheduled time, which every process shares: one claim per probe.
    const name = `probe:${keyEntryId(outage.key, outage.model)}:${outage.nextProbeAt}`;
    const mine = await store.claim(name, keys.probe.timeoutMs + 1000);
    // Another process probes: wait for its verdict (it arrives as a restore or a new schedule).
    if (!mine) keys.reschedule(outage, this.now + keys.probe.timeoutMs, outage.intervalMs, outage.failedProbes);
    return mine;
  }

  probed(): void {
    // The verdict travels as the pool's own change (key back, or a new probe schedule).
  }

  /**
   * Asks for the half-open probe's claim as the cool-down ends, so the first request after it finds
   * the claim settled instead of being turned away while it is asked for.
   */
  private claimAt(model: string, until: number): void {
    this.claimTimers.get(model)?.();
    const cancel = this.options.clock.timer(Math.max(0, until - this.now), () => {
      this.claimTimers.delete(model);
      this.mayProbeCircuit(model);
    });
    this.claimTimers.set(model, cancel);
  }

  /** A half-open circuit: only the process that holds the fleet's claim sends the probe. */
  private mayProbeCircuit(model: string): boolean {
    const { store, circuitCooldownMs } = this.options;
    if (store.connection !== 'shared') return true;
    const now = this.now;
    const claim = this.circuitClaims.get(model);
    if (claim?.state === 'mine') return true;
    if (claim && claim.until > now) return false;
    this.circuitClaims.set(model, { state: 'pending', until: now + circuitCooldownMs });
    void store.claim(`circuit:${model}`, circuitCooldownMs).then((mine) => {
      const current = this.circuitClaims.get(model);
      if (current?.state === 'pending')
        this.circuitClaims.set(model, { state: mine ? 'mine' : 'theirs', until: this.now + circuitCooldownMs });
    });
    return false;
  }

  // ---- (re)connect ----

  /** Reads every shared entry into the mirror, then writes back what this process knows and Redis lacks. */
  private async resync(): Promise<void> {
    const { store, keys, health } = this.options;
    const remote = await store.readAll();
    const seen = new Set<string>();
    for (const entry of remote) {
      seen.add(`${entry.kind}:${entry.id}`);
      this.apply(entry);
    }
    const now = this.now;
    for (const outage of keys.allOutages())
      if (!seen.has(`key:${keyEntryId(outage.key, outage.model)}`)) this.putOutage(outage);
    for (const pair of keys.pairs(now)) {
      const id = pairId(pair.project, pair.model);
      if (pair.parkedUntil !== undefined && !seen.has(`park:${id}`))
        this.fromPool({
          type: 'parked',
          project: pair.project,
          model: pair.model,
          until: pair.parkedUntil,
          reason: pair.parkedReason ?? 'parked',
        });
      if (pair.coolingUntil !== undefined && !seen.has(`cool:${id}`))
        this.fromPool({ type: 'cooling', project: pair.project, model: pair.model, until: pair.coolingUntil });
    }
    for (const circuit of health.circuits(now))
      if (circuit.openUntil !== undefined && circuit.openUntil > now && !seen.has(`circuit:${circuit.model}`))
        this.put(this.entry('circuit', circuit.model, { openUntil: circuit.openUntil }), circuit.openUntil);
    for (const [model, reason] of Object.entries(health.droppedModels()))
      if (!seen.has(`dropped:${model}`)) this.fromHealth({ type: 'dropped', model, reason });
  }

  snapshot(): FleetSnapshot {
    return {
      state: this.options.store.connection,
      instanceId: this.options.instanceId,
      shares: SHARES,
      writers: [...this.writers.values()].reverse().slice(0, 100),
    };
  }

  async close(): Promise<void> {
    for (const stop of this.stops) stop();
    for (const cancel of this.claimTimers.values()) cancel();
    this.options.health.setProbeGate(undefined);
    await this.options.store.close();
  }
}

function keyEntryId(key: PooledKey, model: string | undefined): string {
  return `${keyId(key.key)}/${model ? encodeURIComponent(model) : '*'}`;
}

function splitKeyEntry(id: string): [string, string | undefined] {
  const slash = id.indexOf('/');
  const model = id.slice(slash + 1);
  return [id.slice(0, slash), model === '*' ? undefined : decodeURIComponent(model)];
}

function pairId(project: string, model: string): string {
  return `${encodeURIComponent(project)}/${encodeURIComponent(model)}`;
}

function splitPair(id: string): [string, string] {
  const [project = '', model = ''] = id.split('/');
  return [decodeURIComponent(project), decodeURIComponent(model)];
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
