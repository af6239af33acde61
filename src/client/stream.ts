// GeminiStream: an async iterable of chunks. start() runs the pipeline until the first meaningful
// chunk arrives (retrying and falling back as needed); iteration then hands over the rest, ending
// with a typed GeminiError (carrying the partial text) if the stream breaks.
import { classify, GeminiError, type AttemptRecord } from '../errors/index.js';
import type { AttemptInput, AttemptOutput, CallResult } from '../pipeline/engine.js';
import type { TransportResponse } from '../transport/http-transport.js';
import type { GenerateContentResponse, StreamFrame } from '../wire/index.js';
import { chunkProblem, chunkText, frameError, isMeaningful, readFrames, streamFormatOf } from './read-stream.js';

interface Opened {
  first: GenerateContentResponse[];
  frames: AsyncGenerator<StreamFrame>;
  transport: TransportResponse;
  context: { model: string; keyHint: string; secrets: string[] };
  textSoFar: string;
  finished: boolean;
}

type Runner = (attempt: (input: AttemptInput) => Promise<AttemptOutput<Opened>>) => Promise<CallResult<Opened>>;

export class GeminiStream implements AsyncIterable<GenerateContentResponse> {
  private started: Promise<CallResult<Opened>> | undefined;
  /** The model that is answering, once start() has resolved. */
  model: string | undefined;
  attempts: AttemptRecord[] = [];

  constructor(
    private readonly run: Runner,
    private readonly open: (input: AttemptInput) => Promise<TransportResponse>,
    private readonly contextOf: (input: AttemptInput) => { model: string; keyHint: string; secrets: string[] },
  ) {}

  /** Runs attempts until the first chunk is in hand. Idempotent. Rejects with the final GeminiError. */
  start(): Promise<CallResult<Opened>> {
    this.started ??= this.run((input) => this.attempt(input)).then((result) => {
      this.model = result.model;
      this.attempts = result.attempts;
      return result;
    });
    return this.started;
  }

  private async attempt(input: AttemptInput): Promise<AttemptOutput<Opened>> {
    const context = this.contextOf(input);
    const transport = await this.open(input);
    if (!transport.response.ok) {
      const body = await transport.text();
      throw classify({ status: transport.response.status, headers: transport.response.headers, body }, context);
    }
    const frames = readFrames(transport.response.body, streamFormatOf(transport.response, 'sse'));
    const first: GenerateContentResponse[] = [];
    let textSoFar = '';
    try {
      for (;;) {
        const next = await frames.next();
        if (next.done) {
          const problem = first.length > 0 ? chunkProblem(first[first.length - 1]!, textSoFar, context) : undefined;
          throw problem ?? classify({ status: 200, body: '{"candidates":[]}' }, context);
        }
        const error = frameError(next.value, context);
        if (error) throw error;
        const chunk = (next.value as { value: GenerateContentResponse }).value;
        first.push(chunk);
        textSoFar += chunkText(chunk);
        const problem = chunkProblem(chunk, textSoFar, context);
        if (problem) throw problem;
        if (isMeaningful(chunk)) break;
      }
    } catch (failure) {
      transport.abort();
      await frames.return(undefined);
      throw failure;
    }
    transport.clearTimer();
    const finished = Boolean(first[first.length - 1]?.candidates?.[0]?.finishReason);
    const usage = first.find((chunk) => chunk.usageMetadata?.promptTokenCount !== undefined)?.usageMetadata
      ?.promptTokenCount;
    return {
      value: { first, frames, transport, context, textSoFar, finished },
      ...(usage !== undefined ? { inputTokens: usage } : {}),
    };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GenerateContentResponse> {
    const { value: opened } = await this.start();
    let finished = opened.finished;
    let textSoFar = opened.textSoFar;
    try {
      for (const chunk of opened.first) yield chunk;
      while (!finished) {
        let next: IteratorResult<StreamFrame>;
        try {
          next = await opened.frames.next();
        } catch (failure) {
          throw this.broken(classify(failure, opened.context), textSoFar);
        }
        if (next.done) {
          throw this.broken(
            new GeminiError({
              kind: 'malformed_response',
              retryable: true,
              source: 'stream',
              model: opened.context.model,
              keyHint: opened.context.keyHint,
              message: 'The stream ended before the model finished (no finishReason).',
              quota: [],
              helpLinks: [],
              fieldViolations: [],
              details: [],
            }),
            textSoFar,
          );
        }
        const error = frameError(next.value, opened.context);
        if (error) throw this.broken(error, textSoFar);
        const chunk = (next.value as { value: GenerateContentResponse }).value;
        textSoFar += chunkText(chunk);
        const problem = chunkProblem(chunk, textSoFar, opened.context);
        if (problem) throw this.broken(problem, textSoFar);
        if (chunk.candidates?.[0]?.finishReason) finished = true;
        yield chunk;
      }
    } finally {
      opened.transport.abort();
      await opened.frames.return(undefined);
    }
  }

  private broken(error: GeminiError, textSoFar: string): GeminiError {
    if (textSoFar) error.partialText = textSoFar;
    error.attempts = this.attempts;
    return error;
  }
}
