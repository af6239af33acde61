// The default remedies: for each kind of failure, a pure rule (failure, context) → decision.
// The pipeline applies decisions; callers may replace any rule.
import type { ErrorKind, GeminiError } from '../errors/index.js';
import { retryDelay } from './backoff.js';
import type { PolicyOptions } from './options.js';

export interface AttemptContext {
  /** The model of the attempt that failed. */
  model: string;
  /** Another model remains in the chain after this one. */
  hasNextModel: boolean;
  /** Failures of this model in a row within this call, this one included. */
  consecutiveModelFailures: number;
  /** 500s of this model within this call, this one included. */
  internalFailures: number;
  /** Timeouts and 504s of this model within this call, this one included. */
  timeoutFailures: number;
  /** Retries made so far in this call. */
  retryIndex: number;
  /** A shrink hook exists and has not given up. */
  canShrink: boolean;
  now: number;
  random: () => number;
  options: PolicyOptions;
}

export interface Decision {
  action: 'retry' | 'fallback' | 'shrink' | 'fail';
  /** For retry: wait at least this long before the next attempt on this model. */
  delayMs?: number;
  /** Move up the timeout ladder. */
  raiseTimeout?: boolean;
  /** Take the key out, for every model or only this one. */
  disableKey?: { scope: 'key' | 'model'; reason: string };
  /** The (project, model) pair may not send before `until`. */
  park?: { until: number; reason: string };
  /** The (project, model) pair rests until `until` (a rate limit). */
  coolDown?: { until: number };
  /** Remove the model from the chain. */
  dropModel?: boolean;
  /** The failure says the model is unhealthy (feeds its circuit breaker). */
  modelUnhealthy?: boolean;
  /** Why, in a few words, for events and the status page. */
  reason: string;
}

export type Rule = (failure: GeminiError, context: AttemptContext) => Decision;

const transient: Rule = (failure, context) => {
  if (context.consecutiveModelFailures >= context.options.fallbackAfter && context.hasNextModel) {
    return {
      action: 'fallback',
      modelUnhealthy: true,
      reason: `${failure.kind} ${context.consecutiveModelFailures}× on ${context.model}`,
    };
  }
  return {
    action: 'retry',
    delayMs: retryDelay(failure.retryAfterMs, context.retryIndex, context.options.backoff, context.random),
    modelUnhealthy: true,
    reason: `${failure.kind}: retry with backoff`,
  };
};

const failFast =
  (why: string): Rule =>
  () => ({ action: 'fail', reason: why });

export const DEFAULT_RULES: Record<ErrorKind, Rule> = {
  rate_limited: (failure, context) => {
    const waitMs = retryDelay(failure.retryAfterMs, context.retryIndex, context.options.backoff, context.random);
    return {
      action: 'retry',
      delayMs: 0,
      coolDown: { until: context.now + waitMs },
      reason: `rate limited: this project rests ${waitMs} ms`,
    };
  },
  quota_exhausted: (failure) => ({
    action: 'retry',
    delayMs: 0,
    park: {
      until: failure.resetAt ?? Number.POSITIVE_INFINITY,
      reason: failure.resetAt !== undefined ? 'daily quota spent' : 'no quota for this model on this tier',
    },
    reason: 'quota spent: park this project and model, go on elsewhere',
  }),
  unavailable: transient,
  network: transient,
  malformed_response: transient,
  internal: (failure, context) => {
    if (context.internalFailures <= context.options.internalRetries) {
      return {
        action: 'retry',
        delayMs: retryDelay(failure.retryAfterMs, context.retryIndex, context.options.backoff, context.random),
        modelUnhealthy: true,
        reason: '500: retry once',
      };
    }
    if (context.canShrink) return { action: 'shrink', modelUnhealthy: true, reason: '500 again: shrink the request' };
    if (context.hasNextModel) return { action: 'fallback', modelUnhealthy: true, reason: '500 again: next model' };
    // Nothing smaller to send and no other model: a 500 that came back after its retry is most often
    // about this request (Google's troubleshooting page: reduce the input or switch model), so more
    // retries would only delay the same answer. The caller gets the upstream's 500 now.
    return { action: 'fail', modelUnhealthy: true, reason: '500 again, nothing to shrink and no other model' };
  },
  deadline_exceeded: (_failure, context) => {
    if (context.timeoutFailures > context.options.timeoutRetries && context.hasNextModel) {
      return { action: 'fallback', raiseTimeout: true, modelUnhealthy: true, reason: 'deadline again: next model' };
    }
    return {
      action: 'retry',
      delayMs: 0,
      raiseTimeout: true,
      modelUnhealthy: true,
      reason: 'deadline: retry with a longer timeout',
    };
  },
  timeout: (failure, context) => DEFAULT_RULES.deadline_exceeded(failure, context),
  api_key_invalid: () => ({
    action: 'retry',
    delayMs: 0,
    disableKey: { scope: 'key', reason: 'API key not valid' },
    reason: 'bad key: take it out',
  }),
  // A key leaves the pool only when the failure is about the key or its project (`blame`, set by
  // classify from structured fields); a refusal about a file, cache or tuned model, or about the
  // request, is the request's own failure and leaves every key in place (issue 15).
  permission_denied: (failure) => {
    const reason = failure.reason ? `permission denied (${failure.reason})` : 'permission denied';
    if (failure.blame === 'resource' || failure.blame === 'request')
      return { action: 'fail', reason: `${reason}: about the request's resource, keys stay` };
    const keyWide = failure.blame === 'key' || (failure.blame === 'project' && failure.reason !== undefined);
    return {
      action: 'retry',
      delayMs: 0,
      disableKey: { scope: keyWide ? 'key' : 'model', reason },
      reason: `${reason}: take the key out${keyWide ? '' : ' for this model'}`,
    };
  },
  not_found: (failure, context) => {
    if (failure.blame === 'resource' || failure.blame === 'request')
      return { action: 'fail', reason: `a resource the request names was not found` };
    return context.hasNextModel
      ? { action: 'fallback', dropModel: true, reason: `${context.model} not found: drop it` }
      : { action: 'fail', dropModel: true, reason: `${context.model} not found and no other model` };
  },
  input_too_large: (_failure, context) =>
    context.canShrink
      ? { action: 'shrink', reason: 'input too large: shrink' }
      : { action: 'fail', reason: 'input too large' },
  blocked: (_failure, context) =>
    context.options.fallbackOnBlocked && context.hasNextModel
      ? { action: 'fallback', reason: 'blocked: try the next model' }
      : { action: 'fail', reason: 'blocked by a filter' },
  location_unsupported: failFast('not offered in this location without billing'),
  invalid_request: failFast('malformed request'),
  truncated: failFast('output cut by the token limit'),
  cancelled: failFast('cancelled'),
  unknown: failFast('unrecognised failure'),
};

export function decide(
  failure: GeminiError,
  context: AttemptContext,
  rules: Partial<Record<ErrorKind, Rule>> = {},
): Decision {
  if (failure.kind === 'cancelled') return { action: 'fail', reason: 'cancelled' }; // an abort is never retried, whatever the rules
  return (rules[failure.kind] ?? DEFAULT_RULES[failure.kind])(failure, context);
}
