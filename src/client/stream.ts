// GeminiStream: an async iterable of chunks. start() runs the pipeline until the first meaningful
// chunk arrives (retrying and falling back as needed); iteration then hands over the rest, to the
// end of the body: every candidate (candidateCount above 1), trailing usage and grounding. A stream
// that breaks ends with a typed GeminiError carrying the partial text.
import { createGeminiError, toGeminiError, type AttemptRecord, type GeminiError } from '../errors/index.js';
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

/** How a stream treats unusable chunks: see `AnswerChecks` in options.ts. */
export interface StreamOptions {
  /** 'report': chunks pass as Gemini sent them and `finding` names what was wrong. */
  answerChecks?: 'throw' | 'report';
}

export class GeminiStream implements AsyncIterable<GenerateContentResponse> {
  private started: Promise<CallResult<Opened>> | undefined;
  /** The model that is answering, once start() has resolved. */
  model: string | undefined;
  attempts: AttemptRecord[] = [];
  /** With `answerChecks: 'report'`: what was wrong with the answer (blocked, truncated, …), if anything. */
  finding: GeminiError | undefined;

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
    this.started ??= this.run((input) => this.attempt(input)).then((result) => {
      this.model = result.model;
      this.attempts = result.attempts;
      if (result.finding) this.finding = result.finding;
      return result;
    });
    return this.started;
  }

  private async attempt(input: AttemptInput): Promise<AttemptOutput<Opened>> {
    const context = this.contextOf(input);
    this.finding = undefined; // a finding belongs to the attempt that delivers the stream
    const transport = await this.open(input);
    const frames = readFrames(transport.response.body, streamFormatOf(transport.response, 'sse'));
    const opened: Opened = { first: [], frames, transport, context, textSoFar: '', ended: false };
    try {
      await this.readFirst(opened);
    } catch (failure) {
      transport.abort();
      await frames.return(undefined);
      throw failure;
    }
    transport.clearTimer();
    const usage = opened.first.find((chunk) => chunk.usageMetadata?.promptTokenCount !== undefined)?.usageMetadata
      ?.promptTokenCount;
    return { value: opened, ...(usage !== undefined ? { inputTokens: usage } : {}) };
  }

  /** Reads until a meaningful chunk; throws what makes the attempt fail (the policy may retry it). */
  private async readFirst(opened: Opened): Promise<void> {
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
      if (problem) this.finding = problem;
      if (isMeaningful(chunk)) return;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GenerateContentResponse> {
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
