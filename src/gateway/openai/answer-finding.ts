// A 200 stays a 200 on the OpenAI route (issue #15): an answer Gemini sent with HTTP 200 but that
// the client reports as a failure (a block reason, a safety stop, a cut with no text) is rendered as
// the completion it is, with `finish_reason` "content_filter" or "length", instead of an error.
import { isGeminiError } from '../../errors/index.js';
import type { GenerateContentResponse } from '../../wire/index.js';

/** Kinds the client raises about an answer that arrived whole with HTTP 200. */
const ANSWER_KINDS = new Set(['blocked', 'truncated']);

/**
 * The Gemini answer behind a failure about a 200 answer, read from the error's raw body; undefined
 * for every other failure (those stay errors).
 */
export function answerBehind(failure: unknown): GenerateContentResponse | undefined {
  if (!isGeminiError(failure) || !ANSWER_KINDS.has(failure.kind) || !failure.raw) return undefined;
  if (failure.httpStatus !== undefined && failure.httpStatus !== 200) return undefined;
  try {
    const value = JSON.parse(failure.raw) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const answer = value as GenerateContentResponse;
    return answer.candidates || answer.promptFeedback ? answer : undefined;
  } catch {
    return undefined;
  }
}
