// Reads a streamGenerateContent body into frames (SSE or JSON array), and turns frames into
// chunks or typed errors.
import { classify, inspectResponse, type GeminiError } from '../errors/index.js';
import {
  createStreamDecoder,
  responseText,
  type Candidate,
  type GenerateContentResponse,
  type StreamFormat,
  type StreamFrame,
} from '../wire/index.js';

export async function* readFrames(
  body: ReadableStream<Uint8Array> | null,
  format: StreamFormat,
): AsyncGenerator<StreamFrame> {
  if (!body) return;
  const decoder = createStreamDecoder(format);
  const text = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* decoder.push(text.decode(value, { stream: true }));
    }
    yield* decoder.push(text.decode());
    yield* decoder.end();
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

export function streamFormatOf(response: { headers: Headers }, requested: StreamFormat): StreamFormat {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) return 'sse';
  if (type.includes('json')) return 'json-array';
  return requested;
}

/**
 * The chunk's part of candidate 0. With `candidateCount` above 1 each chunk carries the candidates
 * it has news of, each with its `index`: candidate 0 is the one with index 0 (or none).
 */
export function firstCandidate(chunk: GenerateContentResponse): Candidate | undefined {
  return chunk.candidates?.find((candidate) => (candidate.index ?? 0) === 0);
}

/** The text of a chunk's candidate 0 (thoughts excluded). */
export function chunkText(chunk: GenerateContentResponse): string {
  const candidate = firstCandidate(chunk);
  return candidate ? responseText({ candidates: [candidate] }) : '';
}

/** True when the chunk ends some candidate (any index) or the prompt was blocked. */
export function endsACandidate(chunk: GenerateContentResponse): boolean {
  return Boolean(chunk.promptFeedback?.blockReason || chunk.candidates?.some((candidate) => candidate.finishReason));
}

/** A chunk worth handing to the caller: it has content, a finish reason or prompt feedback. */
export function isMeaningful(chunk: GenerateContentResponse): boolean {
  return (
    endsACandidate(chunk) || (chunk.candidates ?? []).some((candidate) => (candidate.content?.parts?.length ?? 0) > 0)
  );
}

/** The error a frame carries, if it is not a data chunk. */
export function frameError(
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
export function chunkProblem(
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
