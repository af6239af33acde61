// The attempt loop: the one place with waits, timers and side effects. For each attempt it chooses
// a model and key (chain order, circuits, parked and cooling projects, pacing), runs the attempt,
// asks the policy what a failure means, applies the decision, and emits events.
import { classify, GeminiError, isGeminiError, type AttemptRecord, type ErrorKind } from '../errors/index.js';
import type { Pacer, Reservation } from '../pacing/pacer.js';
import {
  attemptTimeout,
  CircuitBreaker,
  decide,
  KeyPool,
  RetryBudget,
  serverTimeoutSeconds,
  type Decision,
  type PolicyOptions,
  type PooledKey,
  type Rule,
} from '../policy/index.js';
import type { Clock } from '../time/index.js';
import type { GenerateContentRequest } from '../wire/index.js';
import { PipelineEmitter } from './events.js';

export interface AttemptInput {
  model: string;
  key: PooledKey;
  request: GenerateContentRequest;
  timeoutMs: number;
  serverTimeoutSeconds: number;
  signal?: AbortSignal;
}

export interface AttemptOutput<T> {
  value: T;
  inputTokens?: number;
}

export type ShrinkHook = (
  request: GenerateContentRequest,
  context: { model: string; error: GeminiError; attempt: number },
) => GenerateContentRequest | undefined | Promise<GenerateContentRequest | undefined>;

export interface CallSpec<T> {
  model: string;
  fallbacks: readonly string[];
  request: GenerateContentRequest;
  attempt: (input: AttemptInput) => Promise<AttemptOutput<T>>;
  /** Estimated input tokens, for pacing. */
  tokens: number;
  /** Calls that use generation quota are paced; countTokens and model listing are not. */
  paced: boolean;
  signal?: AbortSignal;
  deadlineMs?: number;
  shrink?: ShrinkHook;
}

export interface CallResult<T> {
  value: T;
  model: string;
  attempts: AttemptRecord[];
}

export interface EngineOptions {
  keys: KeyPool;
  policy: PolicyOptions;
  rules: Partial<Record<ErrorKind, Rule>>;
  clock: Clock;
  pacer: Pacer;
  events: PipelineEmitter;
}

interface ModelCounters {
  consecutive: number;
  internal: number;
  timeouts: number;
}

interface Choice {
  model: string;
  index: number;
  key: PooledKey;
  readyAt: number;
  waitReason: 'quota' | 'backoff' | 'none';
}

export class Engine {
  readonly breakers = new Map<string, CircuitBreaker>();
  readonly dropped = new Map<string, string>();
  readonly budget: RetryBudget;

  constructor(readonly options: EngineOptions) {
    this.budget = new RetryBudget(options.policy.retryBudget);
  }

  breaker(model: string): CircuitBreaker {
    let breaker = this.breakers.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker(model, this.options.policy.breaker);
      this.breakers.set(model, breaker);
    }
    return breaker;
  }

  async run<T>(spec: CallSpec<T>): Promise<CallResult<T>> {
    const { clock, policy, events, keys } = this.options;
    const started = clock.now();
    const deadline = started + (spec.deadlineMs ?? policy.deadlineMs);
    const chain = [...new Set([spec.model, ...spec.fallbacks])];
    const attempts: AttemptRecord[] = [];
    const counters = new Map<string, ModelCounters>();
    const notBefore = new Map<string, number>();
    let request = spec.request;
    let chainIndex = 0;
    let timeoutLevel = 0;
    let canShrink = spec.shrink !== undefined;
    let lastError: GeminiError | undefined;
    let waitedMs = 0;
    let fallbackReason: string | undefined;
    this.budget.recordRequest(started);

    const giveUp = (error: GeminiError): never => {
      error.attempts = attempts;
      events.emit('request-failed', {
        requestedModel: spec.model,
        kind: error.kind,
        attempts: attempts.length,
        durationMs: clock.now() - started,
      });
      throw error;
    };

    for (;;) {
      if (spec.signal?.aborted) giveUp(abortError(spec.model));
      if (attempts.length >= policy.maxAttempts)
        giveUp(withNote(lastError!, `gave up after ${attempts.length} attempts`));
      const now = clock.now();
      const choice = await this.choose(chain, chainIndex, notBefore, spec, now);
      if (!choice) giveUp(lastError ?? this.nothingToTry(chain, spec.model, now));
      const { model, key } = choice!;
      if (choice!.index !== chainIndex) {
        events.emit('model-fallback', {
          from: chain[chainIndex]!,
          to: model,
          reason: fallbackReason ?? this.skipReason(chain[chainIndex]!, now),
        });
        chainIndex = choice!.index;
        fallbackReason = undefined;
      }
      const waitMs = choice!.readyAt - now;
      if (waitMs > 0) {
        if (now + waitMs > deadline) {
          const error = lastError ?? this.nothingToTry(chain, spec.model, now);
          giveUp(
            withNote(error, `the next try would be at ${new Date(now + waitMs).toISOString()}, after the deadline`),
          );
        }
        events.emit('wait-started', {
          project: key.project,
          model,
          until: now + waitMs,
          reason: choice!.waitReason === 'quota' ? 'quota' : 'backoff',
        });
        try {
          await clock.sleep(waitMs, spec.signal);
        } catch {
          giveUp(abortError(spec.model));
        }
        waitedMs += waitMs;
        if (choice!.waitReason === 'quota')
          events.emit('quota-waited', { project: key.project, model, waitedMs: waitMs });
        continue; // the world may have changed while we slept: choose again
      }

      let ticket: Reservation | undefined;
      let leave: (() => void) | undefined;
      if (spec.paced) {
        ticket = await this.options.pacer.reserve(key.project, model, spec.tokens, clock.now());
        if (ticket.dayFull) {
          // The pacer knows the day is spent: park the pair as a 429 would have, without asking.
          keys.park(key.project, model, ticket.at, 'daily request limit reached (paced)');
          events.emit('key-parked', {
            project: key.project,
            model,
            until: ticket.at,
            reason: 'daily request limit reached (paced)',
          });
          continue;
        }
        const slotWait = ticket.at - clock.now();
        if (slotWait > 0) {
          if (ticket.at > deadline) {
            ticket.release({ sent: false });
            giveUp(
              withNote(
                lastError ?? this.quotaWaitError(spec.model, key.project, ticket.at),
                `the next free slot is at ${new Date(ticket.at).toISOString()}, after the deadline`,
              ),
            );
          }
          events.emit('wait-started', { project: key.project, model, until: ticket.at, reason: 'quota' });
          try {
            await clock.sleep(slotWait, spec.signal);
          } catch {
            ticket.release({ sent: false });
            giveUp(abortError(spec.model));
          }
          waitedMs += slotWait;
          events.emit('quota-waited', { project: key.project, model, waitedMs: slotWait });
        }
        try {
          leave = await this.options.pacer.enter(model, spec.signal);
        } catch {
          ticket.release({ sent: false });
          giveUp(abortError(spec.model));
        }
      }
      // The budget guards against amplifying load on a failing upstream; a retry after a quota
      // refusal waits for the server's delay or goes to another project, so it does not count.
      const quotaRetry = lastError?.kind === 'rate_limited' || lastError?.kind === 'quota_exhausted';
      if (attempts.length > 0 && !quotaRetry && !this.budget.tryRetry(clock.now())) {
        ticket?.release({ sent: false });
        leave?.();
        giveUp(withNote(lastError!, 'retry budget spent: too many retries across recent requests'));
      }

      const breaker = this.breaker(model);
      const attemptStarted = clock.now();
      breaker.begin(attemptStarted);
      keys.markUsed(key);
      const timeoutMs = attemptTimeout(timeoutLevel, policy.timeout, Math.max(1, deadline - attemptStarted));
      try {
        const output = await spec.attempt({
          model,
          key,
          request,
          timeoutMs,
          serverTimeoutSeconds: serverTimeoutSeconds(timeoutMs, policy.timeout),
          ...(spec.signal ? { signal: spec.signal } : {}),
        });
        leave?.();
        ticket?.release({
          sent: true,
          ...(output.inputTokens !== undefined ? { inputTokens: output.inputTokens } : {}),
        });
        if (breaker.success()) events.emit('circuit-closed', { model });
        attempts.push({ model, keyHint: key.hint, waitedMs, durationMs: clock.now() - attemptStarted });
        events.emit('attempt-succeeded', {
          model,
          keyHint: key.hint,
          attempt: attempts.length,
          durationMs: clock.now() - attemptStarted,
        });
        events.emit('request-succeeded', {
          model,
          requestedModel: spec.model,
          attempts: attempts.length,
          durationMs: clock.now() - started,
        });
        return { value: output.value, model, attempts };
      } catch (thrown) {
        const error = isGeminiError(thrown)
          ? thrown
          : classify(thrown, { model, keyHint: key.hint, secrets: [key.key] });
        error.model ??= model;
        error.keyHint ??= key.hint;
        leave?.();
        // A request that never reached Gemini gives its slot back; one that did was counted.
        ticket?.release({ sent: error.kind !== 'network' && error.kind !== 'cancelled' });
        lastError = error;
        attempts.push({
          model,
          keyHint: key.hint,
          kind: error.kind,
          ...(error.httpStatus !== undefined ? { status: error.httpStatus } : {}),
          waitedMs,
          durationMs: clock.now() - attemptStarted,
        });
        waitedMs = 0;
        if (error.kind === 'cancelled' || spec.signal?.aborted) {
          breaker.neutral();
          giveUp(spec.signal?.aborted ? abortError(spec.model) : error);
        }
        if (error.kind === 'rate_limited' || error.kind === 'quota_exhausted')
          this.options.pacer.learn(key.project, model, error, clock.now());

        const count = counters.get(model) ?? { consecutive: 0, internal: 0, timeouts: 0 };
        count.consecutive++;
        if (error.kind === 'internal') count.internal++;
        if (error.kind === 'timeout' || error.kind === 'deadline_exceeded') count.timeouts++;
        counters.set(model, count);
        const hasNextModel = chain.slice(chainIndex + 1).some((name) => !this.dropped.has(name));
        const decision = decide(
          error,
          {
            model,
            hasNextModel,
            consecutiveModelFailures: count.consecutive,
            internalFailures: count.internal,
            timeoutFailures: count.timeouts,
            retryIndex: attempts.length - 1,
            canShrink,
            now: clock.now(),
            random: () => clock.random(),
            options: policy,
          },
          this.options.rules,
        );
        events.emit('attempt-failed', {
          model,
          keyHint: key.hint,
          kind: error.kind,
          ...(error.httpStatus !== undefined ? { status: error.httpStatus } : {}),
          message: error.message,
          attempt: attempts.length,
          action: decision.action,
          durationMs: attempts[attempts.length - 1]!.durationMs,
        });
        this.applyEffects(decision, error, model, key, breaker);
        if (decision.raiseTimeout) timeoutLevel++;

        switch (decision.action) {
          case 'fail':
            giveUp(error);
            break;
          case 'retry':
            if (decision.delayMs && decision.delayMs > 0) {
              notBefore.set(model, clock.now() + decision.delayMs);
              events.emit('retry-scheduled', {
                model,
                delayMs: decision.delayMs,
                kind: error.kind,
                attempt: attempts.length,
              });
            }
            break;
          case 'fallback':
            if (!hasNextModel) giveUp(error);
            // Skip past this model; the next choice emits the model-fallback event.
            notBefore.set(model, Number.POSITIVE_INFINITY);
            fallbackReason = decision.reason;
            break;
          case 'shrink': {
            const smaller = await spec.shrink?.(request, { model, error, attempt: attempts.length });
            if (smaller) {
              request = smaller;
              count.internal = 0;
            } else {
              canShrink = false;
              if (!hasNextModel || error.kind === 'input_too_large') giveUp(error);
              notBefore.set(model, Number.POSITIVE_INFINITY);
              fallbackReason = `${error.kind} and the request cannot shrink further`;
            }
            break;
          }
        }
      }
    }
  }

  private applyEffects(
    decision: Decision,
    error: GeminiError,
    model: string,
    key: PooledKey,
    breaker: CircuitBreaker,
  ): void {
    const { keys, events, clock } = this.options;
    const now = clock.now();
    if (decision.disableKey) {
      const scoped = decision.disableKey.scope === 'model';
      keys.disable(key, decision.disableKey.reason, scoped ? model : undefined);
      events.emit('key-disabled', {
        keyHint: key.hint,
        project: key.project,
        ...(scoped ? { model } : {}),
        reason: decision.disableKey.reason,
        kind: error.kind,
      });
    }
    if (decision.park) {
      keys.park(key.project, model, decision.park.until, decision.park.reason);
      events.emit('key-parked', {
        project: key.project,
        model,
        until: decision.park.until,
        reason: decision.park.reason,
      });
    }
    if (decision.coolDown) keys.coolDown(key.project, model, decision.coolDown.until);
    if (decision.dropModel) this.dropped.set(model, error.message);
    if (decision.modelUnhealthy) {
      const openUntil = breaker.failure(now);
      if (openUntil !== undefined) events.emit('circuit-opened', { model, until: openUntil });
    } else {
      breaker.neutral();
    }
  }

  /**
   * The model and key for the next attempt, from `start` on in the chain. A model is skipped when it
   * was dropped, its circuit is open (unless nothing else is left), or no key can call it. Among the
   * rest, the first that can send now wins; a model that must wait for quota longer than
   * `rateLimitFallbackAfterMs` gives way to a later one that can send sooner.
   */
  private async choose<T>(
    chain: string[],
    start: number,
    notBefore: Map<string, number>,
    spec: CallSpec<T>,
    now: number,
  ): Promise<Choice | undefined> {
    const { keys, policy, pacer } = this.options;
    const options: Choice[] = [];
    const circuitBlocked: Choice[] = [];
    for (let index = start; index < chain.length; index++) {
      const model = chain[index]!;
      if (this.dropped.has(model)) continue;
      const callDelay = notBefore.get(model) ?? 0;
      if (callDelay === Number.POSITIVE_INFINITY) continue;
      let best: Choice | undefined;
      for (const key of keys.byFairness(keys.usable(model))) {
        let quotaReady = keys.readyAt(key, model, now);
        if (quotaReady === Number.POSITIVE_INFINITY) continue;
        if (spec.paced && quotaReady <= now) quotaReady = pacer.peek(key.project, model, spec.tokens, now);
        const readyAt = Math.max(quotaReady, callDelay);
        const waitReason = readyAt <= now ? 'none' : quotaReady >= callDelay ? 'quota' : 'backoff';
        if (!best || readyAt < best.readyAt) best = { model, index, key, readyAt, waitReason };
      }
      if (!best) continue;
      const breaker = this.breaker(model);
      if (!breaker.allows(now)) {
        circuitBlocked.push({ ...best, readyAt: Math.max(best.readyAt, breaker.retryAt() ?? now) });
        continue;
      }
      options.push(best);
    }
    if (options.length === 0) {
      // Every remaining model has an open circuit: fail fast rather than wait out a cool-down.
      return undefined;
    }
    const first = options[0]!;
    if (first.readyAt <= now || first.waitReason === 'backoff') return first;
    const sooner = options.find((option) => option.readyAt <= now);
    if (first.readyAt - now > policy.rateLimitFallbackAfterMs && sooner) return sooner;
    if (first.readyAt - now <= policy.rateLimitFallbackAfterMs) return first;
    return options.reduce((a, b) => (b.readyAt < a.readyAt ? b : a));
  }

  private quotaWaitError(model: string, project: string, at: number): GeminiError {
    const now = this.options.clock.now();
    return new GeminiError({
      kind: 'rate_limited',
      retryable: true,
      source: 'text',
      model,
      message: `Pacing: ${project}/${model} has no free slot before ${new Date(at).toISOString()}.`,
      quota: [],
      helpLinks: [],
      fieldViolations: [],
      details: [],
      retryAfterMs: Math.max(0, at - now),
    });
  }

  private skipReason(model: string, now: number): string {
    if (this.dropped.has(model)) return `${model} not found`;
    const breaker = this.breakers.get(model);
    if (breaker && !breaker.allows(now)) return `${model} circuit open`;
    const usable = this.options.keys.usable(model);
    if (usable.length === 0) return `no usable key for ${model}`;
    if (usable.every((key) => this.options.keys.isParked(key.project, model, now)))
      return `every project's quota for ${model} is spent`;
    return `${model} must wait for quota`;
  }

  /** The error when nothing could even be tried: every model dropped, circuit-open, keyless or parked. */
  private nothingToTry(chain: string[], requested: string, now: number): GeminiError {
    const keys = this.options.keys;
    const reasons = chain.map((model) => {
      if (this.dropped.has(model)) return `${model}: not found`;
      const breaker = this.breakers.get(model);
      if (breaker && !breaker.allows(now))
        return `${model}: circuit open until ${new Date(breaker.retryAt() ?? now).toISOString()}`;
      const usable = keys.usable(model);
      if (usable.length === 0) {
        const why = [...new Set(keys.keys.map((key) => key.disabled ?? key.disabledModels.get(model)).filter(Boolean))];
        return `${model}: no usable key${why.length ? ` (${why.join('; ')})` : ''}`;
      }
      return `${model}: every project is parked until its quota resets`;
    });
    const parkedUntil = chain
      .flatMap((model) => keys.usable(model).map((key) => keys.readyAt(key, model, now)))
      .filter((at) => at > now);
    const retryAt = Math.min(
      ...chain.map((model) => this.breakers.get(model)?.retryAt() ?? Number.POSITIVE_INFINITY),
      ...parkedUntil,
    );
    const allKeysOut = chain.every((model) => keys.usable(model).length === 0);
    const allParked = chain.every(
      (model) =>
        !this.dropped.has(model) &&
        keys.usable(model).length > 0 &&
        keys.usable(model).every((key) => keys.isParked(key.project, model, now)),
    );
    const kind: ErrorKind = allKeysOut
      ? 'permission_denied'
      : allParked
        ? 'quota_exhausted'
        : chain.every((model) => this.dropped.has(model))
          ? 'not_found'
          : 'unavailable';
    return new GeminiError({
      kind,
      retryable: kind === 'unavailable',
      source: 'text',
      model: requested,
      message: `Nothing left to try for ${requested}: ${reasons.join('; ')}.`,
      quota: [],
      helpLinks: [],
      fieldViolations: [],
      details: [],
      ...(Number.isFinite(retryAt) ? { retryAfterMs: Math.max(0, retryAt - now) } : {}),
      ...(kind === 'quota_exhausted' && Number.isFinite(retryAt) ? { resetAt: retryAt } : {}),
    });
  }
}

function abortError(model: string): GeminiError {
  return classify(new DOMException('The request was aborted by the caller.', 'AbortError'), { model });
}

function withNote(error: GeminiError, note: string): GeminiError {
  if (!error.message.includes(note)) (error as { message: string }).message = `${error.message} (${note})`;
  return error;
}
