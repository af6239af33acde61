// GeminiStream: an async iterable of chunks. start() runs the pipeline until the first meaningful
// chunk arrives (retrying and falling back as needed); iteration then hands over the rest, to the
// end of the body: every candidate (candidateCount above 1), trailing usage and grounding. A stream
// that breaks ends with a typed GeminiError carrying the partial text. A chunk transform (mid-stream
// repair is one) may rewrite what the caller reads without changing the stream's API.
import { createGeminiError, toGeminiError, type AttemptRecord, type GeminiError } from '../errors/index.js';
import { withAnswer } from '../pipeline/answers.js';
import type { AttemptInput, AttemptOutput, CallResult } from '../pipeline/engine.js';
import type { TransportResponse } from '../transport/http-transport.js';
import type { GenerateContentResponse, StreamFrame } from '../wire/index.js';
import {
  chunkProblem,
  chunkText,
  endsACandidate,
  frameError,
  isMeaningful,
  readFrames,
  streamFormatOf,
} from './read-stream.js';

type ErrorContext = { model: string; keyHint: string; secrets: string[] };

interface Opened {
  first: GenerateContentResponse[];
  frames: AsyncGenerator<StreamFrame>;
  transport: TransportResponse;
  context: ErrorContext;
  textSoFar: string;
  /** Some candidate ended (or the prompt was blocked) in the chunks read so far. */
  ended: boolean;
}

type Runner = (attempt: (input: AttemptInput) => Promise<AttemptOutput<Opened>>) => Promise<CallResult<Opened>>;

/**
 * Rewrites the chunks a stream's caller reads: it receives the plain chunks (read to the end of the
 * body, throwing the stream's typed GeminiError when it breaks) and returns what iteration yields.
 * Called once per iteration of the stream. Mid-stream repair (client/repairing-stream.ts) is one.
 */
export type ChunkTransform = (chunks: AsyncIterable<GenerateContentResponse>) => AsyncIterable<GenerateContentResponse>;

/** How a stream treats unusable chunks (see `AnswerChecks` in options.ts), and what rewrites its chunks. */
export interface StreamOptions {
  /**
   * 'report': chunks pass as Gemini sent them and `finding` names what was wrong. A finding known
   * before the first chunk is handed over goes through the pipeline like a non-streamed one (kept,
   * or retried / fallen back from when `retryUnusableAnswers` / `fallbackOnBlocked` say so).
   */
  answerChecks?: 'throw' | 'report';
  /** Applied to the chunks on every iteration; see ChunkTransform. */
  transform?: ChunkTransform;
}

export class GeminiStream implements AsyncIterable<GenerateContentResponse> {
  private started: Promise<CallResult<Opened>> | undefined;
  /** The model that is answering, once start() has resolved. */
  model: string | undefined;
  attempts: AttemptRecord[] = [];
  /**
   * With `answerChecks: 'report'`: what was wrong with the answer (blocked, truncated, …), if
   * anything. Set by start() when known before the first chunk, else while iterating, at the chunk
   * that showed it.
   */
  finding: GeminiError | undefined;
  /** Attempts found unusable before their first chunk went out, open in case the pipeline keeps one. */
  private readonly held: Opened[] = [];

  constructor(
    private readonly run: Runner,
    private readonly open: (input: AttemptInput) => Promise<TransportResponse>,
    private readonly contextOf: (input: AttemptInput) => ErrorContext,
    private readonly options: StreamOptions = {},
  ) {}

  private get report(): boolean {
    return this.options.answerChecks === 'report';
  }

  /** Runs attempts until the first chunk is in hand. Idempotent. Rejects with the final GeminiError. */
  start(): Promise<CallResult<Opened>> {
    this.started ??= this.run((input) => this.attempt(input)).then(
      async (result) => {
        await this.releaseHeld(result.value);
        this.model = result.model;
        this.attempts = result.attempts;
        if (result.finding) this.finding = result.finding;
        return result;
      },
      async (failure: unknown) => {
        await this.releaseHeld(undefined);
        throw failure;
      },
    );
    return this.started;
  }

  /**
   * Ends the answering attempt's upstream body and frees its connection, whether or not the stream
   * was iterated (a caller that decides from start() alone not to read it). Safe to call at any time.
   */
  async cancel(): Promise<void> {
    const result = await this.started?.catch(() => undefined);
    if (!result) return;
    result.value.transport.abort();
    await result.value.frames.return(undefined).catch(() => undefined);
  }

  /** Closes every held attempt except `kept` (the one the pipeline returned, if any). */
  private async releaseHeld(kept: Opened | undefined): Promise<void> {
    const others = this.held.splice(0).filter((opened) => opened !== kept);
    for (const opened of others) {
      opened.transport.abort();
      await opened.frames.return(undefined).catch(() => undefined);
    }
  }

  private async attempt(input: AttemptInput): Promise<AttemptOutput<Opened>> {
    const context = this.contextOf(input);
    // A new attempt means the pipeline did not keep an earlier unusable answer: free its connection.
    await this.releaseHeld(undefined);
    const transport = await this.open(input);
    const frames = readFrames(transport.response.body, streamFormatOf(transport.response, 'sse'));
    const opened: Opened = { first: [], frames, transport, context, textSoFar: '', ended: false };
    let problem: GeminiError | undefined;
    try {
      problem = await this.readFirst(opened);
    } catch (failure) {
      transport.abort();
      await frames.return(undefined);
      throw failure;
    }
    if (problem) {
      // 'report': the answer is unusable but valid. Thrown with the opened stream so that the
      // pipeline applies the opt-in remedies; if it keeps this answer, the caller reads the rest of
      // it (trailing chunks, other candidates) from the same body, so the body stays open until
      // start() knows (releaseHeld).
      transport.clearTimer();
      this.held.push(opened);
      throw withAnswer(problem, opened);
    }
    transport.clearTimer();
    const usage = opened.first.find((chunk) => chunk.usageMetadata?.promptTokenCount !== undefined)?.usageMetadata
      ?.promptTokenCount;
    return { value: opened, ...(usage !== undefined ? { inputTokens: usage } : {}) };
  }

  /**
   * Reads until a meaningful chunk; throws what makes the attempt fail (the policy may retry it).
   * Returns, in 'report' mode, what is wrong with the answer so far (else undefined).
   */
  private async readFirst(opened: Opened): Promise<GeminiError | undefined> {
    const { first, frames, context } = opened;
    for (;;) {
      const next = await frames.next();
      if (next.done) {
        const last = first.at(-1);
        const problem = last ? chunkProblem(last, opened.textSoFar, context) : undefined;
        throw problem ?? toGeminiError({ candidates: [] }, context);
      }
      const error = frameError(next.value, context);
      if (error) throw error;
      const chunk = (next.value as { value: GenerateContentResponse }).value;
      first.push(chunk);
      opened.textSoFar += chunkText(chunk);
      opened.ended ||= endsACandidate(chunk);
      const problem = chunkProblem(chunk, opened.textSoFar, context);
      if (problem && !this.report) throw problem;
      if (problem) return problem;
      if (isMeaningful(chunk)) return undefined;
    }
  }

  /** The chunks the caller reads: the plain chunks, through the transform when there is one. */
  [Symbol.asyncIterator](): AsyncIterator<GenerateContentResponse> {
    const transform = this.options.transform;
    if (!transform) return this.plainChunks();
    return transform({ [Symbol.asyncIterator]: () => this.plainChunks() })[Symbol.asyncIterator]();
  }

  /** Every chunk of the answering attempt, to the end of its body. */
  private async *plainChunks(): AsyncGenerator<GenerateContentResponse> {
    const { value: opened } = await this.start();
    try {
      for (const chunk of opened.first) yield chunk;
      for (;;) {
        const chunk = await this.nextChunk(opened);
        if (!chunk) return;
        yield chunk;
      }
    } finally {
      opened.transport.abort();
      await opened.frames.return(undefined);
    }
  }

  /** The next chunk, undefined at a normal end; throws a typed error when the stream breaks. */
  private async nextChunk(opened: Opened): Promise<GenerateContentResponse | undefined> {
    let next: IteratorResult<StreamFrame>;
    try {
      next = await opened.frames.next();
    } catch (failure) {
      throw this.broken(toGeminiError(failure, opened.context), opened.textSoFar);
    }
    if (next.done) {
      if (opened.ended) return undefined;
      const message = 'The stream ended before the model finished (no finishReason).';
      const { model, keyHint } = opened.context;
      const error = createGeminiError({ kind: 'malformed_response', source: 'stream', model, keyHint, message });
      throw this.broken(error, opened.textSoFar);
    }
    const error = frameError(next.value, opened.context);
    if (error) throw this.broken(error, opened.textSoFar);
    const chunk = (next.value as { value: GenerateContentResponse }).value;
    opened.textSoFar += chunkText(chunk);
    opened.ended ||= endsACandidate(chunk);
    const problem = chunkProblem(chunk, opened.textSoFar, opened.context);
    if (problem && !this.report) throw this.broken(problem, opened.textSoFar);
    if (problem) this.finding ??= problem;
    return chunk;
  }

  private broken(error: GeminiError, textSoFar: string): GeminiError {
    return error.with({ ...(textSoFar ? { partialText: textSoFar } : {}), attempts: this.attempts });
  }
}
