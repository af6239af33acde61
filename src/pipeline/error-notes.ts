// Errors the engine makes itself (an abort, no pacing slot before the deadline).
import { createGeminiError, toGeminiError, type GeminiError } from '../errors/index.js';

/** The error of a call the caller aborted. */
export function abortError(model: string): GeminiError {
  return toGeminiError(new DOMException('The request was aborted by the caller.', 'AbortError'), { model });
}

/** The error when the pacer has no free slot for the pair before the deadline. */
export function quotaWaitError(model: string, project: string, at: number, now: number): GeminiError {
  return createGeminiError({
    kind: 'rate_limited',
    blame: 'capacity',
    model,
    message: `Pacing: ${project}/${model} has no free slot before ${new Date(at).toISOString()}.`,
    retryAfterMs: Math.max(0, at - now),
  });
}

/**
 * The error when no attempt may start: `leftMs` (ms) remain before the call's deadline, less than
 * `minAttemptMs`. Kind `timeout`, blame `network` (nothing was sent; the time ran out on our side).
 */
export function noTimeLeftError(model: string, leftMs: number, minAttemptMs: number): GeminiError {
  return createGeminiError({
    kind: 'timeout',
    blame: 'network',
    source: 'timeout',
    model,
    message:
      `No attempt was started: ${Math.max(0, Math.round(leftMs))} ms were left before the call's deadline, ` +
      `less than the ${minAttemptMs} ms an attempt needs (timeout.minAttemptMs).`,
  });
}
