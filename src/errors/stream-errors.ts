// Errors carried by a streamGenerateContent body: a frame that is not a data chunk (an error
// envelope, text that is not JSON), and a chunk that ends the answer unusably (blocked, or cut with
// no output), judged on the whole text so far. Made here so a stream's failures are classified at
// the same edge as every other failure.
import { firstCandidate, type GenerateContentResponse, type StreamFrame } from '../wire/index.js';
import { classify } from './classify.js';
import type { GeminiError } from './gemini-error.js';
import { inspectResponse } from './response-check.js';

/** The error a frame carries, if it is not a data chunk. */
export function streamFrameError(
  frame: StreamFrame,
  context: { model: string; keyHint: string; secrets: string[] },
): GeminiError | undefined {
  if (frame.type === 'data') {
    if (typeof frame.value !== 'object' || frame.value === null || Array.isArray(frame.value))
      return classify({ frame: { type: 'invalid', raw: JSON.stringify(frame.value) } }, context);
    return undefined;
  }
  return classify({ frame }, context);
}

/**
 * A problem with the stream once a chunk carries a finish reason or a block: judged on all the text
 * so far (a stream that wrote text and then hit MAX_TOKENS is a normal cut answer).
 */
export function streamChunkProblem(
  chunk: GenerateContentResponse,
  textSoFar: string,
  context: { model: string; keyHint: string; secrets: string[] },
): GeminiError | undefined {
  const candidate = firstCandidate(chunk);
  if (!candidate?.finishReason && !chunk.promptFeedback?.blockReason) return undefined;
  const parts = candidate?.content?.parts ?? [];
  const hasOtherOutput = parts.some((part) => part.functionCall || part.inlineData || part.executableCode);
  const whole: GenerateContentResponse = {
    ...chunk,
    ...(candidate
      ? {
          candidates: [
            { ...candidate, content: { role: 'model', parts: hasOtherOutput ? parts : [{ text: textSoFar }] } },
          ],
        }
      : {}),
  };
  if (!inspectResponse(whole, { finalChunk: true })) return undefined;
  const error = classify(whole, context);
  return textSoFar ? error.with({ partialText: textSoFar }) : error;
}
