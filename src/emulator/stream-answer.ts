// streamGenerateContent as a Fetch Response: a whole answer cut into chunks the way Gemini streams
// (text in pieces, each candidate with its `index`, finishReason and usage on the last chunk), written
// as SSE (`?alt=sse`) or as Google's JSON array, paced by the clock, and broken on purpose when a
// fault asks.
import {
  encodeSseError,
  encodeSseEvent,
  JsonArrayStreamWriter,
  type Candidate,
  type ErrorEnvelope,
  type GenerateContentResponse,
  type Part,
} from '../wire/index.js';
import { JSON_TYPE, type EmulatedError } from './bodies.js';

/**
 * How a stream breaks after `afterChunks` chunks:
 * - `error`: Gemini's own way: an `{"error": …}` object written into the 200 body, then the end;
 * - `reset`: the connection is destroyed (the client sees a reset / "terminated");
 * - `close`: the body ends cleanly but early (no finishReason, no closing `]`);
 * - `half`: half of the next chunk's JSON is written, then the body ends;
 * - `stall`: nothing more is written and the connection stays open until the client goes away (a
 *   stream stalled upstream, which only an idle limit on the client's side can end).
 */
export type StreamBreakKind = 'error' | 'reset' | 'close' | 'half' | 'stall';

export interface StreamBreak {
  kind: StreamBreakKind;
  afterChunks: number;
  /** The error written into the stream (kind `error`). */
  error?: EmulatedError;
}

/** How streamed text is cut: `words` (a few whole words per chunk) or `characters` (mid-word). */
export type ChunkingMode = 'words' | 'characters';

/** Splits text into stream pieces of a few words, or of a few characters cutting words in two. */
export function splitText(text: string, mode: ChunkingMode = 'words'): string[] {
  if (text.length === 0) return [''];
  if (mode === 'characters') {
    const chars = Array.from(text); // never split a surrogate pair
    const pieces: string[] = [];
    // Uneven sizes (7, 5, 7, 5 …) so cuts land inside words, between words and in escapes alike.
    for (let i = 0, n = 0; i < chars.length; n++) {
      const size = n % 2 === 0 ? 7 : 5;
      pieces.push(chars.slice(i, i + size).join(''));
      i += size;
    }
    return pieces;
  }
  const pieces: string[] = [];
  const words = text.match(/\S+\s*/g) ?? [text];
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  if (leading) words[0] = leading + words[0];
  for (let i = 0; i < words.length; i += 4) pieces.push(words.slice(i, i + 4).join(''));
  return pieces;
}

/** A candidate's parts cut into stream pieces: text parts split, other parts whole. */
function partPieces(parts: readonly Part[], mode: ChunkingMode): Part[] {
  const pieces: Part[] = [];
  for (const part of parts) {
    if (typeof part.text !== 'string' || part.text === '') {
      pieces.push(part);
      continue;
    }
    const { text, thoughtSignature, ...rest } = part;
    const split = splitText(text, mode);
    split.forEach((piece, index) => {
      // A signature travels on the last piece of its part, as Gemini sends it with the final text.
      const signature = index === split.length - 1 && thoughtSignature ? { thoughtSignature } : {};
      pieces.push({ ...rest, text: piece, ...signature });
    });
  }
  return pieces;
}

/**
 * The chunks of a streamed answer: chunk i holds, for every candidate that still has one, its i-th
 * piece; the candidate's last piece carries its finishReason and its other fields (safety ratings,
 * grounding, logprobs). Usage is complete on the last chunk only.
 */
export function streamChunks(answer: GenerateContentResponse, mode: ChunkingMode = 'words'): GenerateContentResponse[] {
  const candidates = answer.candidates ?? [];
  if (candidates.length === 0) return [answer];
  const perCandidate = candidates.map((candidate) => partPieces(candidate.content?.parts ?? [], mode));
  const count = Math.max(1, ...perCandidate.map((pieces) => pieces.length));
  const usage = answer.usageMetadata;
  const chunks: GenerateContentResponse[] = [];
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const chunkCandidates: Candidate[] = [];
    candidates.forEach((candidate, c) => {
      const pieces = perCandidate[c]!;
      const isLastPiece = i === Math.max(0, pieces.length - 1);
      if (i >= pieces.length && !(pieces.length === 0 && i === 0)) return;
      const { content, ...fields } = candidate;
      const piece = pieces[i];
      chunkCandidates.push({
        ...(piece ? { content: { parts: [piece], role: content?.role ?? 'model' } } : content ? { content } : {}),
        ...(isLastPiece ? fields : { index: candidate.index ?? c }),
      });
    });
    chunks.push({
      candidates: chunkCandidates,
      ...(i === 0 && answer.promptFeedback ? { promptFeedback: answer.promptFeedback } : {}),
      usageMetadata:
        last && usage
          ? usage
          : { promptTokenCount: usage?.promptTokenCount ?? 0, totalTokenCount: usage?.promptTokenCount ?? 0 },
      ...(answer.modelVersion ? { modelVersion: answer.modelVersion } : {}),
      ...(answer.responseId ? { responseId: answer.responseId } : {}),
    });
  }
  return chunks;
}

export interface StreamPlan {
  chunks: GenerateContentResponse[];
  sse: boolean;
  firstTokenMs: number;
  perChunkMs: number;
  break?: StreamBreak;
}

export interface StreamHooks {
  sleep(ms: number): Promise<void>;
  /** Called once when a planned break happens. */
  onBreak(): void;
  /** Called once when the stream ends for any reason (complete, broken, client gone). */
  onEnd(): void;
}

/** Raised inside the body stream to destroy the connection (break kind `reset`). */
class ConnectionReset extends Error {
  constructor() {
    super('emulated connection reset');
    this.name = 'ConnectionReset';
  }
}

async function* streamText(plan: StreamPlan, hooks: StreamHooks, clientGone: Promise<void>): AsyncGenerator<string> {
  const writer = new JsonArrayStreamWriter();
  if (plan.firstTokenMs > 0) await hooks.sleep(plan.firstTokenMs);
  for (const [index, chunk] of plan.chunks.entries()) {
    const planned = plan.break;
    if (planned && index === planned.afterChunks) {
      hooks.onBreak();
      if (planned.kind === 'error' && planned.error) {
        const envelope = JSON.parse(planned.error.body) as ErrorEnvelope;
        yield plan.sse ? encodeSseError(envelope) : writer.element(envelope) + writer.close();
      } else if (planned.kind === 'half') {
        const whole = plan.sse ? encodeSseEvent(chunk) : writer.element(chunk);
        yield whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
      } else if (planned.kind === 'reset') {
        throw new ConnectionReset();
      } else if (planned.kind === 'stall') {
        await clientGone;
      }
      return;
    }
    if (index > 0 && plan.perChunkMs > 0) await hooks.sleep(plan.perChunkMs);
    yield plan.sse ? encodeSseEvent(chunk) : writer.element(chunk);
  }
  if (!plan.sse) yield writer.close();
}

/**
 * The streamed answer as a Response whose body is produced on demand (so a slow reader is not
 * flooded) and stops when the client goes away.
 */
export function streamResponse(plan: StreamPlan, hooks: StreamHooks): Response {
  const encoder = new TextEncoder();
  let leave = () => {};
  const clientGone = new Promise<void>((resolve) => (leave = resolve));
  const source = streamText(plan, hooks, clientGone);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    hooks.onEnd();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await source.next();
          if (next.done) {
            end();
            controller.close();
          } else controller.enqueue(encoder.encode(next.value));
        } catch (failure) {
          end();
          controller.error(failure);
        }
      },
      async cancel() {
        end();
        leave(); // a stalled stream's generator waits for this before it can return
        await source.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': plan.sse ? 'text/event-stream' : JSON_TYPE,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // Written as it is produced; also keeps the Node adapter from buffering the first chunks.
      'transfer-encoding': 'chunked',
    },
  });
}
