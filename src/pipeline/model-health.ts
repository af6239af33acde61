// What the engine remembers about each model across calls: its circuit breaker and whether the
// upstream said it does not exist. Both maps are bounded: a client that is sent thousands of
// distinct model names (a gateway facing the internet) must not grow without limit. Listeners
// (fleet state) are told of local changes; changes learned from other processes come in through
// `drop(…, { remote: true })` and the breakers' remote methods, and are not told again.
import { CircuitBreaker, type BreakerChange, type BreakerOptions, type CircuitSnapshot } from '../policy/index.js';

/** Most models remembered at once; the least recently touched is forgotten first. */
export const MODEL_HEALTH_CAP = 256;

/** A local change of a model's health: a breaker's failure or success, or a model dropped as not found. */
export type HealthChange = BreakerChange | { type: 'dropped'; model: string; reason: string };

export class ModelHealth {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly dropped = new Map<string, string>();
  private readonly listeners = new Set<(change: HealthChange) => void>();
  private probeGate: ((model: string) => boolean) | undefined;

  constructor(
    private readonly options: BreakerOptions,
    private readonly cap = MODEL_HEALTH_CAP,
  ) {}

  /** Calls `listener` on every local change; returns the unsubscribe. */
  onChange(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Who may send a half-open circuit's probe (fleet state: one process of the fleet). */
  setProbeGate(gate: ((model: string) => boolean) | undefined): void {
    this.probeGate = gate;
  }

  private tell(change: HealthChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not break a request.
      }
    }
  }

  /** The breaker of `model`, made on first use. Touching it keeps it among the remembered. */
  breaker(model: string): CircuitBreaker {
    let breaker = this.breakers.get(model);
    if (breaker) this.breakers.delete(model);
    else
      breaker = new CircuitBreaker(
        model,
        this.options,
        (change) => this.tell(change),
        (name) => this.probeGate?.(name) ?? true,
      );
    this.breakers.set(model, breaker);
    evictOldest(this.breakers, this.cap);
    return breaker;
  }

  /** The breaker if one exists, without making one (for reasons and snapshots). */
  existingBreaker(model: string): CircuitBreaker | undefined {
    return this.breakers.get(model);
  }

  /** Why `model` was dropped (the upstream's not-found message), or undefined. */
  droppedReason(model: string): string | undefined {
    return this.dropped.get(model);
  }

  isDropped(model: string): boolean {
    return this.dropped.has(model);
  }

  drop(model: string, reason: string, options: { remote?: boolean } = {}): void {
    const known = this.dropped.has(model);
    this.dropped.delete(model);
    this.dropped.set(model, reason);
    evictOldest(this.dropped, this.cap);
    if (!known && !options.remote) this.tell({ type: 'dropped', model, reason });
  }

  circuits(now: number): CircuitSnapshot[] {
    return [...this.breakers.values()].map((breaker) => breaker.snapshot(now));
  }

  droppedModels(): Record<string, string> {
    return Object.fromEntries(this.dropped);
  }
}

function evictOldest<V>(map: Map<string, V>, cap: number): void {
  while (map.size > cap) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
