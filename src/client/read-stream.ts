// Reads a streamGenerateContent body into frames (SSE or JSON array) and reads chunks.
import {
  createStreamDecoder,
  firstCandidate,
  responseText,
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

// Frames and chunks become errors in errors/ (stream-errors.ts), like every other failure; these
// names stay for the stream code that reads them from here.
export { streamFrameError as frameError, streamChunkProblem as chunkProblem } from '../errors/index.js';
