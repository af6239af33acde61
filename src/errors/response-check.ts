// A 200 answer can still carry no usable answer: a blocked prompt, a candidate stopped for safety,
// output cut by the token limit, or a body that is not a response at all.
import { responseText, type GenerateContentResponse } from '../wire/index.js';
import type { ErrorKind } from './kinds.js';

/** Finish reasons that mean the answer was withheld by a filter. */
export const BLOCKING_FINISH_REASONS: ReadonlySet<string> = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'OTHER',
  'IMAGE_SAFETY',
  'LANGUAGE',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'IMAGE_OTHER',
  'NO_IMAGE',
]);

export interface ResponseProblem {
  kind: ErrorKind;
  message: string;
  finishReason?: string;
  blockReason?: string;
  partialText?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a value shaped like a GenerateContentResponse (possibly a failed one). */
export function looksLikeResponse(value: unknown): value is GenerateContentResponse {
  return (
    isObject(value) &&
    (Array.isArray(value.candidates) || isObject(value.promptFeedback) || isObject(value.usageMetadata))
  );
}

/**
 * What is wrong with a 200 response, or undefined when it carries a usable answer.
 * `finalChunk` is false for a chunk in the middle of a stream, where an empty chunk is normal.
 */
export function inspectResponse(
  value: unknown,
  options: { finalChunk?: boolean; expectJson?: boolean } = {},
): ResponseProblem | undefined {
  const finalChunk = options.finalChunk ?? true;
  if (!isObject(value)) return { kind: 'malformed_response', message: 'The response body is not a JSON object.' };
  const response = value as GenerateContentResponse;
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    return {
      kind: 'blocked',
      blockReason,
      message: `The prompt was blocked (${blockReason})${response.promptFeedback?.blockReasonMessage ? `: ${response.promptFeedback.blockReasonMessage}` : '.'}`,
    };
  }
  const candidate = response.candidates?.[0];
  if (!candidate) {
    if (!finalChunk && isObject(response.usageMetadata)) return undefined;
    return { kind: 'malformed_response', message: 'The response has no candidates.' };
  }
  const parts = candidate.content?.parts ?? [];
  const text = responseText({ candidates: [candidate] });
  const hasOutput =
    text.length > 0 ||
    parts.some((part) => !part.thought && (part.functionCall || part.inlineData || part.executableCode));
  const finishReason = candidate.finishReason;
  if (finishReason && BLOCKING_FINISH_REASONS.has(finishReason)) {
    const blocked = candidate.safetyRatings?.filter((rating) => rating.blocked).map((rating) => rating.category) ?? [];
    return {
      kind: 'blocked',
      finishReason,
      message: `The answer was stopped with finishReason ${finishReason}${blocked.length ? ` (${blocked.join(', ')})` : ''}${candidate.finishMessage ? `: ${candidate.finishMessage}` : '.'}`,
      ...(text ? { partialText: text } : {}),
    };
  }
  if (finishReason === 'MALFORMED_FUNCTION_CALL' || finishReason === 'UNEXPECTED_TOOL_CALL') {
    return {
      kind: 'malformed_response',
      finishReason,
      message: `The model produced an unusable tool call (finishReason ${finishReason}).`,
    };
  }
  if (finishReason === 'MAX_TOKENS') {
    if (!hasOutput) {
      return {
        kind: 'truncated',
        finishReason,
        message: 'The output token limit was reached before any answer was written (finishReason MAX_TOKENS).',
      };
    }
    if (options.expectJson) {
      try {
        JSON.parse(text);
      } catch {
        return {
          kind: 'truncated',
          finishReason,
          partialText: text,
          message: 'The JSON answer was cut off by the output token limit (finishReason MAX_TOKENS).',
        };
      }
    }
    return undefined;
  }
  if (finalChunk && !hasOutput) {
    return {
      kind: 'malformed_response',
      ...(finishReason ? { finishReason } : {}),
      message: `The response is empty (finishReason ${finishReason ?? 'missing'}, no content).`,
    };
  }
  return undefined;
}
