// Everything one call remembers between its attempts, in one object the engine's steps share.
import type { AttemptRecord, ErrorKind, GeminiError } from '../errors/index.js';
import type { GenerateContentRequest } from '../wire/index.js';

/** Failures of one model within one call, which the rules read. */
export interface ModelCounters {
  /** Failures in a row. */
  consecutive: number;
  /** 500s. */
  internal: number;
  /** Client timeouts and 504s. */
  timeouts: number;
}

export class CallState {
  /** The requested model first, then its fallbacks, without repeats. */
  readonly chain: readonly string[];
  readonly attempts: AttemptRecord[] = [];
  /** Per model: no attempt before this time (epoch ms); +Infinity: left behind for this call. */
  readonly notBefore = new Map<string, number>();
  private readonly counters = new Map<string, ModelCounters>();
  /**
   * Models whose circuit breaker this call has already fed a failure. The retries of one call are
   * not independent evidence about a model (a 500 is often about the request itself), so a call
   * counts once against each model's breaker, however many attempts it makes there.
   */
  readonly blamedModels = new Set<string>();
  /** The request as it will be sent next (a shrink hook may have replaced it). */
  request: GenerateContentRequest;
  /** Index in `chain` of the model the call is on. */
  chainIndex = 0;
  /** Rungs climbed on the timeout ladder. */
  timeoutLevel = 0;
  /** A shrink hook exists and has not given up. */
  canShrink: boolean;
  lastError: GeminiError | undefined;
  /** The model and key of the attempt that failed with `lastError`. */
  lastRoute: { model: string; keyHint: string } | undefined;
  /** Time spent waiting since the last attempt (for the attempt record). */
  waitedMs = 0;
  /** Why the call left its model, when the policy said so (else the route tells). */
  fallbackReason: string | undefined;
  /** Epoch ms by which the whole call, a stream to its end, must be over (`timeout.requestMs`); none when undefined. */
  endBy: number | undefined;

  constructor(
    readonly requestedModel: string,
    fallbacks: readonly string[],
    request: GenerateContentRequest,
    canShrink: boolean,
    /** Epoch ms the call started. */
    readonly started: number,
    /** Epoch ms by which the call's answer must have started: no attempt or wait goes past it. */
    readonly deadline: number,
  ) {
    this.chain = [...new Set([requestedModel, ...fallbacks])];
    this.request = request;
    this.canShrink = canShrink;
  }

  /** Counts a failure of `model` and returns its counters. */
  countFailure(model: string, kind: ErrorKind): ModelCounters {
    const count = this.counters.get(model) ?? { consecutive: 0, internal: 0, timeouts: 0 };
    count.consecutive++;
    if (kind === 'internal') count.internal++;
    if (kind === 'timeout' || kind === 'deadline_exceeded') count.timeouts++;
    this.counters.set(model, count);
    return count;
  }

  /** After a shrink the request is new: its earlier 500s no longer count. */
  forgetInternalFailures(model: string): void {
    const count = this.counters.get(model);
    if (count) count.internal = 0;
  }

  /** Leaves `model` for the rest of the call; the next choice emits the fallback with `reason`. */
  leaveModel(model: string, reason: string | undefined): void {
    this.notBefore.set(model, Number.POSITIVE_INFINITY);
    this.fallbackReason = reason;
  }

  /** Whether a model after the current one is still worth trying. */
  hasNextModel(isDropped: (model: string) => boolean): boolean {
    return this.chain.slice(this.chainIndex + 1).some((name) => !isDropped(name));
  }

  /** A retry after a quota refusal waits for the server's delay or goes elsewhere. */
  lastWasQuota(): boolean {
    return this.lastError?.kind === 'rate_limited' || this.lastError?.kind === 'quota_exhausted';
  }
}
