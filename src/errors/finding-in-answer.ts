// A 200 answer of generateContent can still hold no usable answer (a blocked prompt, a candidate
// stopped by a filter, output cut by the token limit, a body that is no response at all). This is
// the one place such a body becomes a GeminiError, so callers outside errors/ never classify an
// HTTP answer themselves.
import { classify, type ClassifyContext } from './classify.js';
import type { GeminiError } from './gemini-error.js';
import { inspectResponse } from './response-check.js';

/**
 * What is wrong with a whole (non-streamed) 200 answer, as a GeminiError (kind `blocked`,
 * `truncated`, `malformed_response` …, httpStatus 200, the body kept as `raw`), or undefined when it
 * carries a usable answer. `context.expectJson`: the caller asked for JSON output, so a cut JSON
 * text counts as truncated. Never throws.
 */
export function findingInAnswer(answer: unknown, context: ClassifyContext = {}): GeminiError | undefined {
  const problem = inspectResponse(answer, { finalChunk: true, ...(context.expectJson ? { expectJson: true } : {}) });
  return problem ? classify(answer, context) : undefined;
}
