// Mid-stream repair: wraps a stream of answer chunks so that, when it breaks after the client has
// received part of the answer, a new attempt is spliced in and the client still reads one complete
// answer, or, where no exact splice is possible, the same typed error as without repair. Owns the
// ledger of what the client has received; the pipeline supplies the attempts (with all their
// remedies: retries, keys, pacing) through `reopen`.
import { isGeminiError, toGeminiError, type GeminiError } from '../../errors/index.js';
import {
  responseText,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type UsageMetadata,
} from '../../wire/index.js';
import { addUsage, carriesMore, hasFunctionCall, shiftOffsets, utf8Bytes, withAnswerText } from './chunk-edits.js';
import { anchoredRequest, isJsonMode, prefillRequest, restartRequest } from './continuation-request.js';
import { JsonPrefixCheck } from './json-prefix.js';
import { ContinuationSplicer, ReplayMatcher, type Splicer } from './splice.js';
import { WordHoldback } from './word-holdback.js';

/**
 * `off`: a broken stream ends with a typed error (the default). `restart`: the request is sent again
 * and its answer forwarded only past the text the client has, reproduced byte for byte. `continue`:
 * the model is asked to go on from that text (prefill where the model allows it, else a user turn).
 * `auto`: the verifiable choices only: a user-turn continuation that must repeat the last words it
 * resumes from, then a restart if it cannot be lined up; a restart alone for JSON mode. (A prefill
 * is continued literally, so a preamble or a drift after it cannot be told from the answer.)
 */
export type StreamRepairMode = 'off' | 'restart' | 'continue' | 'auto';

export const STREAM_REPAIR_MODES: readonly StreamRepairMode[] = ['off', 'restart', 'continue', 'auto'];

/** How one repair went, for events and metrics. */
export interface StreamRepairEvent {
  type: 'stream-repair';
  model: string;
  mode: StreamRepairMode;
  /** What was sent: the request again, a prefill, or a user-turn continuation. */
  strategy: 'restart' | 'prefill' | 'anchored';
  outcome: 'repaired' | 'diverged' | 'failed' | 'prefill-refused';
  /** Characters the client had received when the stream broke. */
  deliveredChars: number;
  reason?: string;
}

/** The vendor member added to the first chunk after a splice (SDKs ignore unknown members). */
export interface StreamRepairNote {
  streamRepair: { strategy: StreamRepairEvent['strategy']; repairs: number };
}

export type RepairedChunk = GenerateContentResponse & { gemwarden?: StreamRepairNote };

/**
 * What repairs have learned about each model (bounded, oldest forgotten first): which refuse a
 * prefill (a request ending with a model turn), so that they get a user turn at once, and which
 * did not repeat the words a user-turn continuation asked for, so that `auto` restarts them at once
 * instead of spending an upstream call on a continuation that cannot be lined up.
 */
export class ModelRepairMemory {
  private readonly prefillRefused = new Map<string, true>();
  private readonly anchorIgnored = new Map<string, true>();
  constructor(private readonly capacity = 256) {}
  allowsPrefill(model: string): boolean {
    return !this.prefillRefused.has(model);
  }
  refusePrefill(model: string): void {
    remember(this.prefillRefused, model, this.capacity);
  }
  followsAnchor(model: string): boolean {
    return !this.anchorIgnored.has(model);
  }
  ignoredAnchor(model: string): void {
    remember(this.anchorIgnored, model, this.capacity);
  }
}

function remember(map: Map<string, true>, model: string, capacity: number): void {
  if (map.size >= capacity && !map.has(model)) map.delete(map.keys().next().value as string);
  map.set(model, true);
}

export interface StreamRepairOptions {
  mode: StreamRepairMode;
  /** The request as the caller sent it. */
  request: GenerateContentRequest;
  /** The model the stream is for (prefill refusals are remembered per model). */
  model: string;
  /** A new attempt with this request; errors before its first chunk are the pipeline's to handle. */
  reopen: (request: GenerateContentRequest) => AsyncIterable<GenerateContentResponse>;
  /** What repairs learned per model; one per client, shared by its streams. */
  memory?: ModelRepairMemory;
  /** New attempts allowed for one answer. Default 3. */
  maxRepairs?: number;
  onEvent?: (event: StreamRepairEvent) => void;
}

/** Kinds of break worth a new attempt: Google's side or the connection failed, not the request. */
function repairable(error: GeminiError): boolean {
  return error.retryable && error.kind !== 'rate_limited';
}

/**
 * Google's only signal that a model refuses prefill is this 400's wording ("Requests ending with a
 * model turn are not supported."): the message is read here because nothing structured says it.
 */
function refusesPrefill(error: GeminiError): boolean {
  return error.httpStatus === 400 && /model turn/i.test(error.message);
}

const sharedMemory = new ModelRepairMemory();

/**
 * The chunks of `source`, repaired where it breaks. Only candidate 0 of single-candidate answers is
 * repaired: with `candidateCount` above 1, or after a function call, a break ends the stream with
 * its typed error as without repair. Text is held back to a word boundary (see WordHoldback), so
 * chunk boundaries move but the text, read in order, is the answer's.
 * Throws the break's GeminiError (with `partialText` = the text the client has) when it cannot repair.
 */
export async function* repairStream(
  source: AsyncIterable<GenerateContentResponse>,
  options: StreamRepairOptions,
): AsyncGenerator<RepairedChunk> {
  const candidates = options.request.generationConfig?.candidateCount ?? 1;
  if (options.mode === 'off' || candidates > 1) {
    yield* source;
    return;
  }
  yield* new Repair(options).run(source);
}

type Strategy = StreamRepairEvent['strategy'];

/** An attempt being lined up with what the client holds. */
interface Splice {
  splicer: Splicer;
  strategy: Strategy;
  /** The attempt's answer text so far (its own coordinates, for offsets). */
  text: string;
  /** The last chunk seen while undecided: its finish, usage and metadata go out with the splice. */
  held?: GenerateContentResponse;
}

/** How an attempt's byte offsets map onto the repaired answer: `i` → `i - cut + base`, dropped below `cut`. */
interface OffsetMap {
  cut: number;
  base: number;
}

class Repair {
  private delivered = '';
  private readonly holdback = new WordHoldback();
  private json: JsonPrefixCheck | undefined;
  private readonly memory: ModelRepairMemory;
  private responseId: string | undefined;
  /** Usage of the attempts that broke (what was billed for them). */
  private billed: UsageMetadata | undefined;
  /** Usage of the current attempt so far (Gemini sends it cumulatively). */
  private attemptUsage: UsageMetadata | undefined;
  private functionCalled = false;
  private repairs = 0;
  private lastBreak: GeminiError | undefined;
  /** JSON mode after a repair: text held until the value is complete (see jsonGate). */
  private jsonPending = '';
  private heldNote: StreamRepairNote['streamRepair'] | undefined;

  constructor(private readonly options: StreamRepairOptions) {
    this.json = isJsonMode(options.request) ? new JsonPrefixCheck() : undefined;
    this.memory = options.memory ?? sharedMemory;
  }

  async *run(first: AsyncIterable<GenerateContentResponse>): AsyncGenerator<RepairedChunk> {
    let source = first;
    let splice: Splice | undefined;
    let offsets: OffsetMap = { cut: 0, base: 0 };
    for (;;) {
      const iterator = source[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          const chunk = next.value;
          if (splice) {
            const decided = this.decide(splice, chunk, false);
            if (!decided) continue;
            ({ offsets } = decided);
            const note = { strategy: splice.strategy, repairs: this.repairs };
            splice = undefined;
            yield* this.forward(decided.chunk, offsets, note);
            continue;
          }
          yield* this.forward(chunk, offsets, undefined);
        }
        if (splice) {
          // The new attempt ended while still undecided (a short answer): decide on what came.
          const decided = this.decide(splice, undefined, true);
          if (decided)
            yield* this.forward(decided.chunk, decided.offsets, { strategy: splice.strategy, repairs: this.repairs });
        }
        const rest = this.holdback.flush();
        if (rest || this.jsonPending) yield* this.forward(textChunk(rest), offsets, undefined, true);
        return;
      } catch (failure) {
        await iterator.return?.();
        const next = this.recover(failure, splice);
        source = next.source;
        splice = next.splice;
      }
    }
  }

  /**
   * Feeds one chunk of an attempt being lined up (or the attempt's end, with `chunk` undefined).
   * Returns the chunk to forward once decided; throws Diverged when the attempt cannot be used.
   */
  private decide(
    splice: Splice,
    chunk: GenerateContentResponse | undefined,
    ended: boolean,
  ): { chunk: GenerateContentResponse; offsets: OffsetMap } | undefined {
    const text = chunk ? responseText(chunk) : '';
    if (chunk) {
      this.note(chunk);
      splice.text += text;
      splice.held = chunk;
    }
    const verdict = ended ? splice.splicer.end() : splice.splicer.push(text);
    if (verdict.state === 'pending') return undefined;
    if (verdict.state === 'diverged') throw new Diverged(verdict.reason, splice.strategy);
    this.options.onEvent?.(this.event(splice.strategy, 'repaired'));
    const offsets = { cut: utf8Bytes(splice.text) - utf8Bytes(verdict.emit), base: utf8Bytes(this.delivered) };
    const carrier = splice.held ?? textChunk('');
    return { chunk: withAnswerText(carrier, verdict.emit, { dropThoughts: true }), offsets };
  }

  /** After a break or a failed repair: the next attempt to line up, or the error to end with. */
  private recover(
    failure: unknown,
    splice: Splice | undefined,
  ): { source: AsyncIterable<GenerateContentResponse>; splice: Splice } {
    if (failure instanceof Diverged) {
      this.options.onEvent?.(this.event(failure.strategy, 'diverged', failure.reason));
      if (failure.strategy === 'anchored' && !failure.json) this.memory.ignoredAnchor(this.options.model);
      const canRestart = failure.strategy !== 'restart' && !failure.json && this.options.mode === 'auto';
      if (canRestart && this.repairs < this.maxRepairs()) return this.open('restart');
      throw this.giveUp(this.lastBreak, failure.reason);
    }
    const error = isGeminiError(failure) ? failure : toGeminiError(failure);
    if (splice?.strategy === 'prefill' && refusesPrefill(error)) {
      this.memory.refusePrefill(this.options.model);
      this.options.onEvent?.(this.event('prefill', 'prefill-refused', error.message));
      this.repairs--; // learning that the model refuses prefill spends no repair
      return this.open('anchored');
    }
    if (splice) this.options.onEvent?.(this.event(splice.strategy, 'failed', error.message));
    if (this.functionCalled || !repairable(error) || this.repairs >= this.maxRepairs())
      throw this.giveUp(splice ? (this.lastBreak ?? error) : error);
    this.lastBreak = error;
    return this.open(this.firstStrategy());
  }

  private maxRepairs(): number {
    return this.options.maxRepairs ?? 3;
  }

  private firstStrategy(): Strategy {
    const { mode, model } = this.options;
    if (mode === 'restart' || this.delivered.length === 0) return 'restart';
    if (mode === 'auto') return this.json || !this.memory.followsAnchor(model) ? 'restart' : 'anchored';
    return this.memory.allowsPrefill(model) ? 'prefill' : 'anchored';
  }

  /** Opens the next attempt for `strategy`, with the matcher that will line it up. */
  private open(strategy: Strategy): { source: AsyncIterable<GenerateContentResponse>; splice: Splice } {
    this.repairs++;
    this.billed = addUsage(this.billed, this.attemptUsage);
    this.attemptUsage = undefined;
    this.holdback.discard(); // the held partial word was never sent: the new attempt writes it again
    if (this.json) this.json = JsonPrefixCheck.after(this.delivered);
    this.jsonPending = '';
    const { request } = this.options;
    const delivered = this.delivered;
    if (strategy === 'restart') return this.splice(restartRequest(request), new ReplayMatcher(delivered), strategy);
    if (strategy === 'prefill')
      return this.splice(
        prefillRequest(request, delivered),
        new ContinuationSplicer(delivered, { style: 'prefill' }),
        strategy,
      );
    const anchored = anchoredRequest(request, delivered);
    const splicer = new ContinuationSplicer(delivered, { style: 'anchored', anchor: anchored.anchor });
    return this.splice(anchored.request, splicer, strategy);
  }

  private splice(request: GenerateContentRequest, splicer: Splicer, strategy: Strategy) {
    return { source: this.options.reopen(request), splice: { splicer, strategy, text: '' } };
  }

  /** Notes what a chunk tells about the attempt: its usage so far, a function call. */
  private note(chunk: GenerateContentResponse): void {
    if (chunk.usageMetadata) this.attemptUsage = chunk.usageMetadata;
    if (hasFunctionCall(chunk)) this.functionCalled = true;
  }

  /**
   * Sends one chunk on: its text through the word holdback (and the JSON check once repaired),
   * usage summed with the broken attempts', one responseId, offsets moved onto the repaired answer.
   */
  private async *forward(
    chunk: GenerateContentResponse,
    offsets: OffsetMap,
    note: StreamRepairNote['streamRepair'] | undefined,
    last = false,
  ): AsyncGenerator<RepairedChunk> {
    this.note(chunk);
    this.responseId ??= chunk.responseId;
    const finished = last || Boolean(chunk.candidates?.[0]?.finishReason);
    let text = this.holdback.push(responseText(chunk));
    if (finished || this.functionCalled) text += this.holdback.flush();
    const repaired = this.repairs > 0;
    if (this.json) {
      const ready = this.jsonGate(text, finished);
      if (ready === undefined) {
        this.heldNote ??= note;
        return;
      }
      text = ready;
      note ??= this.heldNote;
      this.heldNote = undefined;
    }
    let out: RepairedChunk = withAnswerText(chunk, text, { dropThoughts: repaired });
    if (repaired) out = shiftOffsets(out, offsets.base, offsets.cut);
    if (this.responseId !== undefined) out = { ...out, responseId: this.responseId };
    if (out.usageMetadata && this.billed) out = { ...out, usageMetadata: addUsage(this.billed, out.usageMetadata)! };
    if (note) out = { ...out, gemwarden: { streamRepair: note } };
    if (text.length === 0 && !carriesMore(out) && !note) return;
    this.delivered += text;
    yield out;
  }

  /**
   * JSON mode. Every piece is fed to the incremental check. Before any repair, text passes as it
   * comes (invalid JSON from the model itself is Gemini's answer, passed on untouched). Once
   * repaired, the rest is held until the JSON value is complete, so that a splice that would leave
   * the answer invalid or unfinished is refused before any of it is sent. Returns the text to send
   * now, or undefined to hold it.
   */
  private jsonGate(text: string, finished: boolean): string | undefined {
    const state = text.length > 0 ? this.json!.push(text) : this.json!.current;
    if (this.repairs === 0) return text;
    if (state === 'invalid') throw new Diverged('the spliced answer would not be valid JSON', 'restart', true);
    this.jsonPending += text;
    if (state !== 'complete') {
      if (finished) throw new Diverged('the spliced answer ended before its JSON was complete', 'restart', true);
      return undefined;
    }
    const ready = this.jsonPending;
    this.jsonPending = '';
    return ready;
  }

  private giveUp(error: GeminiError | undefined, why?: string): GeminiError {
    const base = error ?? toGeminiError(new Error('The stream broke and could not be repaired.'));
    const note = why ? ` Stream repair gave up: ${why}.` : '';
    return base.with({ partialText: this.delivered, message: `${base.message}${note}` });
  }

  private event(strategy: Strategy, outcome: StreamRepairEvent['outcome'], reason?: string): StreamRepairEvent {
    return {
      type: 'stream-repair',
      model: this.options.model,
      mode: this.options.mode,
      strategy,
      outcome,
      deliveredChars: this.delivered.length,
      ...(reason !== undefined ? { reason } : {}),
    };
  }
}

function textChunk(text: string): GenerateContentResponse {
  return { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }] };
}

/** A new attempt that cannot be lined up with what the client holds. */
class Diverged extends Error {
  constructor(
    readonly reason: string,
    readonly strategy: Strategy,
    readonly json = false,
  ) {
    super(reason);
  }
}
