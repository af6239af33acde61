// Choosing the route of the next attempt: which model of the chain and which key. The same pass
// records why every model of the chain cannot serve now, so the fallback event's reason and the
// "nothing left to try" error are read from one place instead of being worked out again.
import { createGeminiError, type ErrorKind, type GeminiError } from '../errors/index.js';
import type { Pacer } from '../pacing/pacer.js';
import type { KeyPool, PolicyOptions, PooledKey } from '../policy/index.js';
import type { ModelHealth } from './model-health.js';

/** A model and key that can be tried, and when. */
export interface Choice {
  model: string;
  /** Position of `model` in the chain. */
  index: number;
  key: PooledKey;
  /** Epoch ms when the key may send to the model (now or later). */
  readyAt: number;
  /** What the wait until `readyAt` is for. */
  waitReason: 'quota' | 'backoff' | 'none';
}

/** What stands in a model's way at the moment of choosing (all false/undefined: nothing does). */
export interface ModelState {
  /** The upstream said the model does not exist. */
  dropped: boolean;
  /** Its circuit is open (or half-open with its probe under way) until this time. */
  circuitOpenUntil: number | undefined;
  /** No key may call it; the reasons the keys were taken out. */
  noKey: string[] | undefined;
  /** Every project that could call it is parked until its quota resets. */
  allParked: boolean;
}

/** The outcome of one choosing pass over the chain. */
export interface Route {
  /** The model and key to use, or undefined when nothing can be tried. */
  choice: Choice | undefined;
  /** Per model of the chain, what stood in its way. */
  states: Map<string, ModelState>;
  /** When the soonest blocked model could serve again (circuit reopening, parked quota reset). */
  retryAt: number | undefined;
}

/** What choosing needs to know about the call. */
export interface RouteRequest {
  chain: readonly string[];
  /** Models before this index were left behind by fallbacks. */
  start: number;
  /** Per model: no attempt before this time (backoff); +Infinity means skipped for this call. */
  notBefore: ReadonlyMap<string, number>;
  tokens: number;
  paced: boolean;
}

export class RoutePlanner {
  constructor(
    private readonly keys: KeyPool,
    private readonly pacer: Pacer,
    private readonly health: ModelHealth,
    private readonly policy: PolicyOptions,
  ) {}

  /**
   * One pass over the chain. From `start` on, a model is skipped when no key can call it or its
   * circuit is open, and when it was dropped unless no other model is left; among the rest the first
   * that can send now wins, and a model that must wait for quota longer than
   * `rateLimitFallbackAfterMs` gives way to a later one that can send sooner. When every remaining
   * model has an open circuit the call fails fast with the circuits' retry time.
   */
  plan(request: RouteRequest, now: number): Route {
    const states = new Map<string, ModelState>();
    const candidates: Choice[] = [];
    const lastResorts: Choice[] = [];
    request.chain.forEach((model, index) => {
      const state = this.state(model, now);
      states.set(model, state);
      if (index < request.start) return;
      const callDelay = request.notBefore.get(model) ?? 0;
      if (callDelay === Number.POSITIVE_INFINITY) return;
      const best = this.bestKey(model, index, callDelay, request, now);
      // A circuit and parked or cooling quota speak of generation capacity; an unpaced call
      // (countTokens, models.get) uses none of it, and Gemini answers it while generation fails.
      if (!best || (request.paced && state.circuitOpenUntil !== undefined)) return;
      (state.dropped ? lastResorts : candidates).push(best);
    });
    // A dropped model is skipped only when another model can serve. When nothing else is left, the
    // call is sent as it would be without gemwarden (do no harm, issue 15): the upstream's own answer
    // beats one of ours (a 404 names the method and API version, which a remembered drop cannot
    // know), and a model that has since appeared is found. An open circuit, by contrast, is
    // evidence from several calls that the model is failing now (capacity), so it fails fast with
    // its retry time until the half-open probe.
    const choice = this.pick(candidates, now) ?? this.pick(lastResorts, now);
    return { choice, states, retryAt: this.retryAt(request.chain, now) };
  }

  /** The key of `model` that can send soonest, least recently used first among equals. */
  private bestKey(
    model: string,
    index: number,
    callDelay: number,
    request: RouteRequest,
    now: number,
  ): Choice | undefined {
    let best: Choice | undefined;
    for (const key of this.keys.byFairness(this.keys.usable(model))) {
      let quotaReady = request.paced ? this.keys.readyAt(key, model, now) : now;
      if (quotaReady === Number.POSITIVE_INFINITY) continue;
      if (request.paced && quotaReady <= now) quotaReady = this.pacer.peek(key.project, model, request.tokens, now);
      const readyAt = Math.max(quotaReady, callDelay);
      const waitReason = readyAt <= now ? 'none' : quotaReady >= callDelay ? 'quota' : 'backoff';
      if (!best || readyAt < best.readyAt) best = { model, index, key, readyAt, waitReason };
    }
    return best;
  }

  private pick(candidates: Choice[], now: number): Choice | undefined {
    const first = candidates[0];
    if (!first) return undefined;
    if (first.readyAt <= now || first.waitReason === 'backoff') return first;
    const limit = this.policy.rateLimitFallbackAfterMs;
    const sooner = candidates.find((candidate) => candidate.readyAt <= now);
    if (first.readyAt - now > limit && sooner) return sooner;
    if (first.readyAt - now <= limit) return first;
    return candidates.reduce((a, b) => (b.readyAt < a.readyAt ? b : a));
  }

  /** What keeps `model` from serving now, judged the same way for every use. */
  private state(model: string, now: number): ModelState {
    const dropped = this.health.isDropped(model);
    const breaker = this.health.existingBreaker(model);
    const circuitOpenUntil = breaker && !breaker.allows(now) ? (breaker.retryAt() ?? now) : undefined;
    const usable = this.keys.usable(model);
    const reasons = this.keys.keys.map((key) => key.disabled ?? key.disabledModels.get(model));
    const noKey =
      usable.length === 0 ? [...new Set(reasons.filter((reason): reason is string => !!reason))] : undefined;
    const allParked =
      !dropped && usable.length > 0 && usable.every((key) => this.keys.isParked(key.project, model, now));
    return { dropped, circuitOpenUntil, noKey, allParked };
  }

  private retryAt(chain: readonly string[], now: number): number | undefined {
    const times = chain.flatMap((model) => [
      this.health.existingBreaker(model)?.retryAt() ?? Number.POSITIVE_INFINITY,
      ...this.keys
        .usable(model)
        .map((key) => this.keys.readyAt(key, model, now))
        .filter((at) => at > now),
    ]);
    const soonest = Math.min(...times);
    return Number.isFinite(soonest) ? soonest : undefined;
  }
}

/** Why the fallback from `model` happened, in words, for the model-fallback event. */
export function skipReason(route: Route, model: string): string {
  const state = route.states.get(model);
  if (state?.dropped) return `${model} not found`;
  if (state?.circuitOpenUntil !== undefined) return `${model} circuit open`;
  if (state?.noKey) return `no usable key for ${model}`;
  if (state?.allParked) return `every project's quota for ${model} is spent`;
  return `${model} must wait for quota`;
}

/** The error when nothing could even be tried: every model dropped, circuit-open, keyless or parked. */
export function nothingToTry(route: Route, chain: readonly string[], requested: string, now: number): GeminiError {
  const reasons = chain.map((model) => {
    const state = route.states.get(model);
    if (state?.dropped) return `${model}: not found`;
    if (state?.circuitOpenUntil !== undefined)
      return `${model}: circuit open until ${new Date(state.circuitOpenUntil).toISOString()}`;
    if (state?.noKey) return `${model}: no usable key${state.noKey.length ? ` (${state.noKey.join('; ')})` : ''}`;
    return `${model}: every project is parked until its quota resets`;
  });
  const kind = nothingKind(route, chain);
  const retryAt = route.retryAt;
  return createGeminiError({
    kind,
    retryable: kind === 'unavailable',
    model: requested,
    message: `Nothing left to try for ${requested}: ${reasons.join('; ')}.`,
    ...(retryAt !== undefined ? { retryAfterMs: Math.max(0, retryAt - now) } : {}),
    ...(kind === 'quota_exhausted' && retryAt !== undefined ? { resetAt: retryAt } : {}),
  });
}

function nothingKind(route: Route, chain: readonly string[]): ErrorKind {
  const states = chain.map((model) => route.states.get(model));
  if (states.every((state) => state?.noKey)) return 'permission_denied';
  if (states.every((state) => state?.allParked)) return 'quota_exhausted';
  if (states.every((state) => state?.dropped)) return 'not_found';
  return 'unavailable';
}
