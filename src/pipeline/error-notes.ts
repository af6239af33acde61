// The engine's additions to an error (the model and key of the attempt, a note on why it gave up,
// the attempts made) always go on a new error that wraps the one it was given: an error is never
// changed after it is made, so whoever else holds it sees what it said when it was thrown.
import { classify, GeminiError, type AttemptRecord, type GeminiErrorData } from '../errors/index.js';

function dataOf(error: GeminiError): GeminiErrorData {
  const { attempts: _attempts, ...data } = error.toJSON();
  return data;
}

/** A copy of `error` with `changes`, its cause the original; `attempts` recorded when given. */
export function amended(
  error: GeminiError,
  changes: Partial<GeminiErrorData>,
  attempts?: readonly AttemptRecord[],
): GeminiError {
  const copy = new GeminiError({ ...dataOf(error), ...changes }, { cause: error });
  copy.attempts = [...(attempts ?? error.attempts)];
  return copy;
}

/** The error of a call the caller aborted. */
export function abortError(model: string): GeminiError {
  return classify(new DOMException('The request was aborted by the caller.', 'AbortError'), { model });
}

/** The error when the pacer has no free slot for the pair before the deadline. */
export function quotaWaitError(model: string, project: string, at: number, now: number): GeminiError {
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
