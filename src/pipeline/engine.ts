// The attempt loop: the one place with waits, timers and side effects. Each turn of the loop is a
// few named steps: choose a route (model and key, see route.ts), wait if the route is not ready,
// take a pacing lease (lease.ts), run the attempt, and apply the policy's decision on a failure.
// What one call remembers between turns lives in CallState; what the engine remembers across
// calls (circuits, dropped models) in ModelHealth.
import {
  explain,
  isGeminiError,
  toGeminiError,
  type AttemptRecord,
  type ErrorKind,
  type GeminiError,
} from '../errors/index.js';
import type { Pacer } from '../pacing/pacer.js';
import {
  attemptTimeout,
  decide,
  firstChunkTimeout,
  KeyPool,
  RetryBudget,
  serverTimeoutSeconds,
  type CircuitBreaker,
  type Decision,
  type PolicyOptions,
  type PooledKey,
  type Rule,
} from '../policy/index.js';
import type { Clock } from '../time/index.js';
import type { GenerateContentRequest } from '../wire/index.js';
import { CallState } from './call-state.js';
import { answerOf } from './answers.js';
import { abortError, noTimeLeftError, quotaWaitError } from './error-notes.js';
import { PipelineEmitter } from './events.js';
import { isDayFull, NO_LEASE, takeLease, type PacingLease } from './lease.js';
import { ModelHealth } from './model-health.js';
import { parkPair, parkSpentDay } from './park.js';
import { nothingToTry, RoutePlanner, skipReason, type Choice, type Route } from './route.js';

/** What one attempt is given: where to send, with which key, and how long it may take. */
export interface AttemptInput {
  model: string;
  key: PooledKey;
  request: GenerateContentRequest;
  /** Client-side limit of a non-streamed attempt, ms, counted from when the request is dispatched. */
  timeoutMs: number;
  /** The X-Server-Timeout to send with a non-streamed attempt, seconds. */
  serverTimeoutSeconds: number;
  /** A streamed attempt must deliver its first chunk within this, ms. */
  firstChunkMs: number;
  /**
   * The X-Server-Timeout to send with a streamed attempt, seconds: what is left of
   * `timeout.requestMs`. Absent without one: a stream is bounded by its first-chunk and idle limits,
   * and a server deadline shorter than a long healthy stream would cut it.
   */
  streamServerTimeoutSeconds?: number;
  /** Longest silence between two chunks of a stream after the first, ms. */
  idleMs: number;
  /**
   * Epoch ms by which the attempt must have its answer started (the call's `deadlineMs`, or its
   * `requestMs` when that comes first): bounds waits for a free connection as well.
   */
  startBy: number;
  /** Epoch ms by which the whole call, a stream to its end, must be over (`timeout.requestMs`); none when unset. */
  endBy?: number;
  signal?: AbortSignal;
}

/** What a successful attempt gives back: the value, and the real input tokens when known (pacing). */
export interface AttemptOutput<T> {
  value: T;
  inputTokens?: number;
}

/** Returns a smaller request after a 500 or input_too_large, or undefined when it cannot shrink. */
export type ShrinkHook = (
  request: GenerateContentRequest,
  context: { model: string; error: GeminiError; attempt: number },
) => GenerateContentRequest | undefined | Promise<GenerateContentRequest | undefined>;

/** One call for the engine to run. */
export interface CallSpec<T> {
  model: string;
  fallbacks: readonly string[];
  request: GenerateContentRequest;
  /** Makes one attempt; throws (preferably a GeminiError) on failure. */
  attempt: (input: AttemptInput) => Promise<AttemptOutput<T>>;
  /** Estimated input tokens, for pacing. */
  tokens: number;
  /** Calls that use generation quota are paced; countTokens and model listing are not. */
  paced: boolean;
  signal?: AbortSignal;
  /** Time to get an answer started, waits included, ms (default: the policy's deadlineMs). */
  deadlineMs?: number;
  /**
   * Epoch ms by which the whole call must be over, a stream to its end (default: now plus the
   * policy's `timeout.requestMs`, none when that is unset). A repair of a stream passes its
   * call's value on, so the repair does not get a fresh deadline.
   */
  endBy?: number;
  shrink?: ShrinkHook;
  /**
   * Unusable 200 answers (thrown with `withAnswer`) end the call as a result carrying `finding`
   * instead of as an error; unusable-but-unblocked answers are retried only with the policy's
   * `retryUnusableAnswers`.
   */
  keepAnswers?: boolean;
}

export interface CallResult<T> {
  value: T;
  /** The model that answered. */
  model: string;
  attempts: AttemptRecord[];
  /** With `keepAnswers`: what was wrong with the answer in `value` (kind blocked, truncated, …). */
  finding?: GeminiError;
}

export interface EngineOptions {
  keys: KeyPool;
  policy: PolicyOptions;
  rules: Partial<Record<ErrorKind, Rule>>;
  clock: Clock;
  pacer: Pacer;
  events: PipelineEmitter;
}

/** What a wait is for, and the error to give up with when it would end after the deadline. */
interface WaitTarget {
  project: string;
  model: string;
  until: number;
  reason: 'quota' | 'backoff';
  late: () => GeminiError;
}

export class Engine {
  readonly health: ModelHealth;
  readonly budget: RetryBudget;
  private readonly routes: RoutePlanner;

  constructor(readonly options: EngineOptions) {
    this.budget = new RetryBudget(options.policy.retryBudget);
    this.health = new ModelHealth(options.policy.breaker);
    this.routes = new RoutePlanner(options.keys, options.pacer, this.health, options.policy);
  }

  /** Runs the call to a result, or throws the GeminiError it ended with (attempts attached). */
  async run<T>(spec: CallSpec<T>): Promise<CallResult<T>> {
    const now = this.options.clock.now();
    const { requestMs } = this.options.policy.timeout;
    const endBy = spec.endBy ?? (requestMs !== undefined ? now + requestMs : undefined);
    const deadline = Math.min(now + (spec.deadlineMs ?? this.options.policy.deadlineMs), endBy ?? Infinity);
    const call = new CallState(spec.model, spec.fallbacks, spec.request, spec.shrink !== undefined, now, deadline);
    call.endBy = endBy;
    this.budget.recordRequest(now);
    try {
      for (;;) {
        const result = await this.turn(spec, call);
        if (result) return result;
      }
    } catch (error) {
      const answer = spec.keepAnswers ? answerOf(error) : undefined;
      if (!answer || !isGeminiError(error)) throw error;
      // The remedies did not help: the caller gets the last answer as Gemini sent it.
      const model = call.lastRoute?.model ?? spec.model;
      return { value: answer.value as T, model, attempts: call.attempts, finding: error };
    }
  }

  /** One turn of the loop: a result, or undefined to choose again. */
  private async turn<T>(spec: CallSpec<T>, call: CallState): Promise<CallResult<T> | undefined> {
    const { clock, policy } = this.options;
    if (spec.signal?.aborted) throw this.giveUp(spec, call, abortError(spec.model));
    const now = clock.now();
    const route = this.routes.plan(
      { chain: call.chain, start: call.chainIndex, notBefore: call.notBefore, tokens: spec.tokens, paced: spec.paced },
      now,
    );
    const last = () => call.lastError ?? nothingToTry(route, call.chain, spec.model, now);
    if (call.attempts.length >= policy.maxAttempts)
      throw this.giveUp(spec, call, last(), `gave up after ${call.attempts.length} attempts`);
    const choice = route.choice;
    if (!choice) throw this.giveUp(spec, call, last());
    this.checkTimeLeft(spec, call);
    this.follow(call, route, choice);
    if (choice.readyAt > now) {
      const at = new Date(choice.readyAt).toISOString();
      const reason = choice.waitReason === 'quota' ? 'quota' : 'backoff';
      const late = () => this.giveUp(spec, call, last(), `the next try would be at ${at}, after the deadline`);
      await this.wait(spec, call, {
        project: choice.key.project,
        model: choice.model,
        until: choice.readyAt,
        reason,
        late,
      });
      return undefined; // the world may have changed while we slept: choose again
    }
    // The key counts as used once chosen, not once sent: calls choosing while this one waits for its
    // pacing slot (a Redis round trip with shared pacing) take the next key in turn instead of all
    // piling onto this one (with a key just suspended, each of them would meet the same 403).
    this.options.keys.markUsed(choice.key);
    const lease = spec.paced ? await this.lease(spec, call, choice) : NO_LEASE;
    if (!lease) return undefined;
    // While this call waited for its slot, another call (or, in a fleet, another process) may have
    // taken the key out or parked its pair: choose again rather than send what is known to fail.
    if (lease !== NO_LEASE && !this.stillReady(choice)) {
      lease.release({ sent: false });
      return undefined;
    }
    try {
      this.checkTimeLeft(spec, call); // a pacing wait may have used it up
    } catch (error) {
      lease.release({ sent: false });
      throw error;
    }
    // The budget guards against amplifying load on a failing upstream; a retry after a quota
    // refusal waits for the server's delay or goes to another project, so it does not count.
    if (call.attempts.length > 0 && !call.lastWasQuota() && !this.budget.tryRetry(clock.now())) {
      lease.release({ sent: false });
      throw this.giveUp(spec, call, last(), 'retry budget spent: too many retries across recent requests');
    }
    return this.attempt(spec, call, choice, lease);
  }

  /** Whether the chosen key may still send to the chosen model now (not out, pair not parked or cooling). */
  private stillReady(choice: Choice): boolean {
    const { key, model } = choice;
    if (key.disabled || key.disabledModels.has(model)) return false;
    const now = this.options.clock.now();
    return this.options.keys.readyAt(key, model, now) <= now;
  }

  /**
   * Throws the error the call ends with when less than `timeout.minAttemptMs` is left before its
   * deadline: an attempt started now could not finish, and would only cost a request (or, at the
   * deadline itself, be cut at once).
   */
  private checkTimeLeft<T>(spec: CallSpec<T>, call: CallState): void {
    const minAttemptMs = this.minAttemptMs();
    const left = call.deadline - this.options.clock.now();
    if (left >= Math.max(1, minAttemptMs)) return;
    if (call.lastError)
      throw this.giveUp(spec, call, call.lastError, `${Math.max(0, left)} ms left before the deadline: no new attempt`);
    throw this.giveUp(spec, call, noTimeLeftError(spec.model, left, minAttemptMs));
  }

  private minAttemptMs(): number {
    return this.options.policy.timeout.minAttemptMs ?? 0;
  }

  /** Moves the call to the chosen model, telling subscribers why it left the one it was on. */
  private follow(call: CallState, route: Route, choice: Choice): void {
    if (choice.index === call.chainIndex) return;
    const from = call.chain[call.chainIndex] ?? call.requestedModel;
    const reason = call.fallbackReason ?? skipReason(route, from);
    this.options.events.emit('model-fallback', { from, to: choice.model, reason });
    call.chainIndex = choice.index;
    call.fallbackReason = undefined;
  }

  /** Every wait of the engine: deadline check, event, abortable sleep, accounting. */
  private async wait<T>(spec: CallSpec<T>, call: CallState, target: WaitTarget): Promise<void> {
    const { clock, events } = this.options;
    // A wait that leaves less than an attempt needs is as useless as one that ends after the deadline.
    if (target.until > call.deadline - this.minAttemptMs()) throw target.late();
    const { project, model, until, reason } = target;
    const waitMs = Math.max(0, until - clock.now());
    events.emit('wait-started', { project, model, until, reason });
    try {
      await clock.sleep(waitMs, spec.signal);
    } catch {
      throw this.giveUp(spec, call, abortError(spec.model));
    }
    call.waitedMs += waitMs;
    if (reason === 'quota') events.emit('quota-waited', { project, model, waitedMs: waitMs });
  }

  /** A pacing lease for the attempt, or undefined when the pacer parked the pair (choose again). */
  private async lease<T>(spec: CallSpec<T>, call: CallState, choice: Choice): Promise<PacingLease | undefined> {
    const { clock, pacer, keys, events } = this.options;
    const { model, key } = choice;
    const waitUntil = (until: number) => {
      const late = () =>
        this.giveUp(
          spec,
          call,
          call.lastError ?? quotaWaitError(spec.model, key.project, until, clock.now()),
          `the next free slot is at ${new Date(until).toISOString()}, after the deadline`,
        );
      return this.wait(spec, call, { project: key.project, model, until, reason: 'quota', late });
    };
    // The wait for a concurrency place ends at the deadline too (less the time an attempt needs).
    const untilDeadline = new AbortController();
    const onCallerAbort = () => untilDeadline.abort(spec.signal?.reason);
    if (spec.signal?.aborted) onCallerAbort();
    spec.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const untilMs = call.deadline - this.minAttemptMs() - clock.now();
    // Node fires a timer over 2^31-1 ms at once: a deadline that far (or none) arms nothing.
    const stopTimer = untilMs <= 2_147_483_647 ? clock.timer(untilMs, () => untilDeadline.abort()) : () => {};
    let lease: Awaited<ReturnType<typeof takeLease>>;
    try {
      lease = await takeLease(
        pacer,
        { project: key.project, model, tokens: spec.tokens, signal: untilDeadline.signal },
        () => clock.now(),
        waitUntil,
      );
    } catch (failure) {
      if (isGeminiError(failure)) throw failure;
      if (spec.signal?.aborted || !untilDeadline.signal.aborted) throw this.giveUp(spec, call, abortError(spec.model));
      const left = call.deadline - clock.now();
      throw this.giveUp(
        spec,
        call,
        call.lastError ?? noTimeLeftError(spec.model, left, this.minAttemptMs()),
        `no concurrency place for ${model} before the deadline`,
      );
    } finally {
      stopTimer();
      spec.signal?.removeEventListener('abort', onCallerAbort);
    }
    if (!isDayFull(lease)) return lease;
    // The pacer knows the day is spent: park the pair as a 429 would have, without asking.
    parkSpentDay(keys, events, key.project, model, lease.until);
    return undefined;
  }

  /** Runs one attempt: a result on success, undefined after a failure the call survives. */
  private async attempt<T>(
    spec: CallSpec<T>,
    call: CallState,
    choice: Choice,
    lease: PacingLease,
  ): Promise<CallResult<T> | undefined> {
    const { clock, policy } = this.options;
    const { model, key } = choice;
    // An unpaced call (countTokens, models.get) says nothing about generation capacity, so it
    // neither feeds nor closes the model's circuit.
    const breaker = spec.paced ? this.health.breaker(model) : undefined;
    const started = clock.now();
    breaker?.begin(started);
    const remaining = Math.max(1, call.deadline - started);
    const timeoutMs = attemptTimeout(call.timeoutLevel, policy.timeout, remaining);
    let output: AttemptOutput<T>;
    try {
      output = await spec.attempt({
        model,
        key,
        request: call.request,
        timeoutMs,
        serverTimeoutSeconds: serverTimeoutSeconds(timeoutMs, policy.timeout),
        firstChunkMs: firstChunkTimeout(call.timeoutLevel, policy.timeout, remaining),
        idleMs: policy.timeout.idleMs,
        startBy: call.deadline,
        ...(call.endBy !== undefined
          ? {
              endBy: call.endBy,
              streamServerTimeoutSeconds: serverTimeoutSeconds(Math.max(1, call.endBy - started), policy.timeout),
            }
          : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
      });
    } catch (thrown) {
      await this.failed(spec, call, choice, lease, breaker, started, thrown);
      return undefined;
    }
    const tokens = output.inputTokens;
    lease.release({ sent: true, ...(tokens !== undefined ? { inputTokens: tokens } : {}) });
    this.succeeded(spec, call, choice, breaker, started);
    return { value: output.value, model, attempts: call.attempts };
  }

  private succeeded<T>(
    spec: CallSpec<T>,
    call: CallState,
    choice: Choice,
    breaker: CircuitBreaker | undefined,
    started: number,
  ) {
    const { clock, events } = this.options;
    const { model, key } = choice;
    if (breaker?.success()) events.emit('circuit-closed', { model });
    const durationMs = clock.now() - started;
    call.attempts.push({ model, keyHint: key.hint, waitedMs: call.waitedMs, durationMs });
    events.emit('attempt-succeeded', { model, keyHint: key.hint, attempt: call.attempts.length, durationMs });
    events.emit('request-succeeded', {
      model,
      requestedModel: spec.model,
      attempts: call.attempts.length,
      durationMs: clock.now() - call.started,
    });
  }

  /** Records a failed attempt, asks the policy, applies its decision (throws when the call ends). */
  private async failed<T>(
    spec: CallSpec<T>,
    call: CallState,
    choice: Choice,
    lease: PacingLease,
    breaker: CircuitBreaker | undefined,
    started: number,
    thrown: unknown,
  ): Promise<void> {
    const { clock, events, pacer } = this.options;
    const { model, key } = choice;
    const error = toGeminiError(thrown, { model, keyHint: key.hint, secrets: [key.key] });
    // A request that never reached Gemini gives its slot back; one that did was counted.
    lease.release({ sent: error.kind !== 'network' && error.kind !== 'cancelled' });
    call.lastError = error;
    call.lastRoute = { model, keyHint: key.hint };
    const status = error.httpStatus !== undefined ? { status: error.httpStatus } : {};
    const durationMs = clock.now() - started;
    call.attempts.push({ model, keyHint: key.hint, kind: error.kind, ...status, waitedMs: call.waitedMs, durationMs });
    call.waitedMs = 0;
    if (error.kind === 'cancelled' || spec.signal?.aborted) {
      breaker?.neutral();
      throw this.giveUp(spec, call, spec.signal?.aborted ? abortError(spec.model) : error);
    }
    if (error.kind === 'rate_limited' || error.kind === 'quota_exhausted')
      pacer.learn(key.project, model, error, clock.now());
    const decision = this.keepOrDecide(spec, call, model, error);
    const words = explain(error);
    events.emit('attempt-failed', {
      model,
      keyHint: key.hint,
      kind: error.kind,
      ...status,
      message: error.message,
      attempt: call.attempts.length,
      action: decision.action,
      reason: decision.reason,
      durationMs,
      title: words.title,
      explanation: words.explanation,
    });
    this.applyEffects(call, decision, error, model, key, breaker);
    if (decision.raiseTimeout) call.timeoutLevel++;
    await this.applyAction(spec, call, decision, error, model);
  }

  /** The policy's decision, except that a kept answer is not retried unless the policy says so. */
  private keepOrDecide<T>(spec: CallSpec<T>, call: CallState, model: string, error: GeminiError): Decision {
    const decision = this.decide(call, model, error);
    const kept = spec.keepAnswers && answerOf(error) !== undefined;
    if (!kept || decision.action !== 'retry' || this.options.policy.retryUnusableAnswers) return decision;
    return { action: 'fail', reason: `${error.kind} answer kept as it came (retryUnusableAnswers is off)` };
  }

  private decide(call: CallState, model: string, error: GeminiError): Decision {
    const { clock, policy, rules } = this.options;
    const count = call.countFailure(model, error.kind);
    return decide(
      error,
      {
        model,
        hasNextModel: call.hasNextModel((name) => this.health.isDropped(name)),
        consecutiveModelFailures: count.consecutive,
        internalFailures: count.internal,
        timeoutFailures: count.timeouts,
        retryIndex: call.attempts.length - 1,
        canShrink: call.canShrink,
        now: clock.now(),
        random: () => clock.random(),
        options: policy,
      },
      rules,
    );
  }

  /** What the decision does to the call: retry later, leave the model, shrink, or end. */
  private async applyAction<T>(
    spec: CallSpec<T>,
    call: CallState,
    decision: Decision,
    error: GeminiError,
    model: string,
  ): Promise<void> {
    const { clock, events } = this.options;
    const hasNextModel = call.hasNextModel((name) => this.health.isDropped(name));
    switch (decision.action) {
      case 'fail':
        throw this.giveUp(spec, call, error);
      case 'retry':
        if (decision.delayMs && decision.delayMs > 0) {
          call.notBefore.set(model, clock.now() + decision.delayMs);
          const attempt = call.attempts.length;
          events.emit('retry-scheduled', { model, delayMs: decision.delayMs, kind: error.kind, attempt });
        }
        return;
      case 'fallback':
        if (!hasNextModel) throw this.giveUp(spec, call, error);
        call.leaveModel(model, decision.reason);
        return;
      case 'shrink':
        return this.shrink(spec, call, error, model, hasNextModel);
    }
  }

  private async shrink<T>(
    spec: CallSpec<T>,
    call: CallState,
    error: GeminiError,
    model: string,
    hasNextModel: boolean,
  ): Promise<void> {
    const smaller = await spec.shrink?.(call.request, { model, error, attempt: call.attempts.length });
    if (smaller) {
      call.request = smaller;
      call.forgetInternalFailures(model);
      return;
    }
    call.canShrink = false;
    if (!hasNextModel || error.kind === 'input_too_large') throw this.giveUp(spec, call, error);
    call.leaveModel(model, `${error.kind} and the request cannot shrink further`);
  }

  /** What the decision does beyond the call: keys out, pairs parked or cooling, models dropped, circuits. */
  private applyEffects(
    call: CallState,
    decision: Decision,
    error: GeminiError,
    model: string,
    key: PooledKey,
    breaker: CircuitBreaker | undefined,
  ): void {
    const { keys, events, clock } = this.options;
    if (decision.disableKey) {
      const scoped = decision.disableKey.scope === 'model';
      const reason = decision.disableKey.reason;
      keys.disable(key, reason, scoped ? model : undefined, clock.now(), model);
      const only = scoped ? { model } : {};
      events.emit('key-disabled', { keyHint: key.hint, project: key.project, ...only, reason, kind: error.kind });
    }
    if (decision.park) parkPair(keys, events, { project: key.project, model, ...decision.park });
    if (decision.coolDown) keys.coolDown(key.project, model, decision.coolDown.until);
    if (decision.dropModel) this.health.drop(model, error.message);
    if (!breaker || !decision.modelUnhealthy || call.blamedModels.has(model)) return breaker?.neutral();
    call.blamedModels.add(model);
    const openUntil = breaker.failure(clock.now());
    if (openUntil !== undefined) events.emit('circuit-opened', { model, until: openUntil });
  }

  /**
   * The error the call ends with: a new error wrapping `error`, carrying the attempts, the model and
   * key of the attempt that failed (when the error does not name them) and `note` on why the engine
   * stopped. Emits request-failed.
   */
  private giveUp<T>(spec: CallSpec<T>, call: CallState, error: GeminiError, note?: string): GeminiError {
    const route = error === call.lastError ? call.lastRoute : undefined;
    const model = error.model ?? route?.model;
    const keyHint = error.keyHint ?? route?.keyHint;
    const final = error.with({
      ...(note && !error.message.includes(note) ? { message: `${error.message} (${note})` } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(keyHint !== undefined ? { keyHint } : {}),
      attempts: [...call.attempts],
    });
    this.options.events.emit('request-failed', {
      requestedModel: spec.model,
      kind: final.kind,
      attempts: call.attempts.length,
      durationMs: this.options.clock.now() - call.started,
    });
    return final;
  }
}
