// A 200 answer the checks found unusable (blocked, cut by the token limit, a malformed function
// call, empty) is thrown as a GeminiError so the policy can act on it. When the caller asked for
// such answers as results (`answerChecks: 'report'`), the answer travels with the error and the
// engine hands it back when no remedy helped, instead of turning a valid 200 into a failure.
import type { GeminiError } from '../errors/index.js';

const answers = new WeakMap<GeminiError, unknown>();

/** Records that `error` was found in the 200 answer `value`; returns the error, for `throw`. */
export function withAnswer(error: GeminiError, value: unknown): GeminiError {
  answers.set(error, value);
  return error;
}

/** The 200 answer `error` (or an error it wraps, through `cause`) was found in, if any. */
export function answerOf(error: unknown): { value: unknown } | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (answers.has(current as GeminiError)) return { value: answers.get(current as GeminiError) };
    current = current.cause;
  }
  return undefined;
}
