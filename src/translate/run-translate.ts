// A translation job: the file decoded in its own encoding, segments found by its format, markup
// shielded, batches through the resilient client, every finished line saved at once, remedies in
// batch terms (split on 500/too large/504/bad alignment, mark blocked lines, stop or wait on spent
// quota), then the output written whole in the input's encoding, keeping the input's structure.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { GeminiClient } from '../client/index.js';
import { explain, GeminiError, isGeminiError, type ErrorKind } from '../errors/index.js';
import { realClock, type Clock } from '../time/index.js';
import { Checkpoint, sha256, type JobKey, type LockHolder } from './checkpoint.js';
import {
  decodeFile,
  describeEncoding,
  encodeFile,
  encodingFromOption,
  UnencodableError,
  utf8Like,
  type TextEncoding,
} from './encoding.js';
import { detectFormat, parseDocument, type FormatName, type FormatOptions, type Segment } from './formats/index.js';
import { termsIn, type Glossary } from './glossary.js';
import { nothingToTranslate, shield, unshield, type ShieldedText } from './placeholders.js';
import { buildRequest, checkReply, PROMPT_VERSION } from './prompt.js';

export interface TranslateOptions {
  input: string;
  output: string;
  checkpointPath: string;
  to: string;
  from?: string;
  model: string;
  /** A --format value (checked here, case-insensitive); detected from the file when absent. */
  format?: string;
  formatOptions?: FormatOptions;
  /** --encoding: the input's encoding, instead of detecting it. */
  encoding?: string;
  /** --out-encoding: write the output in this encoding instead of the input's. */
  outEncoding?: string;
  glossary?: Glossary;
  contextLines: number;
  batchSize: number;
  concurrency: number;
  waitForReset: boolean;
  /** --wait: when another run holds this job, wait for it to finish instead of exiting. */
  waitForLock?: boolean;
  client: GeminiClient;
  /** A fresh client after waiting for a quota reset (its parked keys and learned limits start over). */
  renewClient?: () => GeminiClient;
  clock: Clock;
  signal?: AbortSignal;
  /** Called once when another run holds the job and we wait for it (--wait). */
  onLockWait?: (holder: LockHolder) => void;
}

export type JobState =
  | { type: 'translating' }
  | { type: 'waiting'; until: number; reason: string }
  | { type: 'fell-back'; model: string }
  | { type: 'stopping'; reason: string };

export interface Progress {
  /** Segments settled (translated, from the checkpoint/cache, or left untranslated). */
  done: number;
  total: number;
  /** Segments this run settled itself: rates and ETA count these only. */
  doneThisRun: number;
  /** Segments this run still has to settle when it started. */
  todoThisRun: number;
  state: JobState;
}

export interface UntranslatedLine {
  id: string;
  text: string;
  reason: string;
}

export interface TranslateReport {
  format: FormatName;
  /** The input's encoding, and the output's when --out-encoding changed it. */
  encoding: string;
  outEncoding: string;
  total: number;
  translated: number;
  fromCheckpoint: number;
  fromCache: number;
  /** Segments with nothing to translate (only markup, numbers, punctuation): kept as they are. */
  kept: number;
  /** Segments neither translated nor flagged: left for the next run (quota, error, interruption). */
  linesLeft: number;
  linesPerModel: Record<string, number>;
  requests: number;
  retries: number;
  fallbacks: number;
  tokens: { input: number; output: number };
  untranslated: UntranslatedLine[];
  /** Set when the job stopped because every key and model is out of quota. */
  stoppedForQuota?: { resumesAt: number | null; message: string };
  /** Set when the job stopped on a failure no retry can fix. */
  stoppedOnError?: { kind: ErrorKind; message: string; explanation: string };
  /** Set when the output could not be written in its encoding: nothing was written. */
  unencodable?: { line: number; character: string; message: string };
  outputWritten: boolean;
  /** The output holds source-language lines still to be translated (a stopped run). */
  outputPartial: boolean;
}

/** Another run holds this job's lock (and --wait was not given). */
export class JobLockedError extends Error {
  override readonly name = 'JobLockedError';
  constructor(
    readonly holder: LockHolder,
    checkpointPath: string,
  ) {
    super(
      `another run is translating this job: pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()} (lock in ${checkpointPath}). Wait for it, or add --wait to start when it ends.`,
    );
  }
}

const SPLITTING: ReadonlySet<ErrorKind> = new Set([
  'internal',
  'input_too_large',
  'deadline_exceeded',
  'timeout',
  'malformed_response',
  'truncated',
]);
/** Failures a later try may not meet: the batch goes to the back of the queue a few times. */
const REQUEUE: ReadonlySet<ErrorKind> = new Set(['unavailable', 'network', 'unknown']);
const MAX_REQUEUES = 3;
/** A per-minute limit the client gave up on is waited out when shorter than this, not a stop. */
const SHORT_WAIT_MS = 5 * 60_000;
const HEARTBEAT_MS = 5_000;

interface Batch {
  segments: Segment[];
  reasked: boolean;
  requeued?: number;
}

/** The file decoded, its format recognised and parsed: throws EncodingError / FormatError, writes nothing. */
export function loadDocument(options: Pick<TranslateOptions, 'input' | 'format' | 'formatOptions' | 'encoding'>) {
  const bytes = readFileSync(options.input);
  const decoded = decodeFile(bytes, options.encoding);
  const format = detectFormat(options.input, decoded.text, options.format);
  const formatOptions = options.formatOptions ?? {};
  const document = parseDocument(decoded.text, format, formatOptions);
  return { bytes, decoded, format, formatOptions, document };
}

export async function runTranslate(
  options: TranslateOptions,
  onProgress: (progress: Progress) => void = () => undefined,
): Promise<TranslateReport> {
  const { decoded, format, formatOptions, document } = loadDocument(options);
  const outEncoding: TextEncoding =
    options.outEncoding === undefined
      ? decoded.encoding
      : encodingFromOption(options.outEncoding, '--out-encoding') === 'utf-8'
        ? utf8Like(decoded.encoding)
        : {
            name: encodingFromOption(options.outEncoding, '--out-encoding'),
            bom: Buffer.alloc(0),
            detectedBy: 'option',
          };
  const job: JobKey = {
    // The format and its options decide what the line ids mean: part of the job's identity.
    inputHash: sha256(`${format}\u0000${JSON.stringify(formatOptions)}\u0000${decoded.text}`),
    target: options.to,
    source: options.from ?? 'auto',
    model: options.model,
    promptVersion: PROMPT_VERSION,
  };
  const jobId = [job.inputHash, job.target, job.source, job.model, job.promptVersion].join('|');
  const checkpoint = new Checkpoint(options.checkpointPath);
  let stopHeartbeat: (() => void) | undefined;
  try {
    let lock = checkpoint.tryLock(jobId);
    if (!lock.acquired) {
      if (!options.waitForLock) throw new JobLockedError(lock.holder, options.checkpointPath);
      options.onLockWait?.(lock.holder);
      while (!lock.acquired) {
        await options.clock.sleep(1000, options.signal);
        lock = checkpoint.tryLock(jobId);
      }
    }
    // The lock's heartbeat is read by other processes against their wall clocks, so it runs on the
    // real clock whatever clock the job's waits use; it re-arms itself and never holds the process.
    const beat = () => {
      checkpoint.heartbeat(jobId);
      stopHeartbeat = realClock.timer(HEARTBEAT_MS, beat);
    };
    stopHeartbeat = realClock.timer(HEARTBEAT_MS, beat);
    return await translateLocked(options, onProgress, { decoded, format, document, outEncoding, job, checkpoint });
  } finally {
    stopHeartbeat?.();
    try {
      checkpoint.unlock(jobId);
    } finally {
      checkpoint.close();
    }
  }
}

async function translateLocked(
  options: TranslateOptions,
  onProgress: (progress: Progress) => void,
  loaded: {
    decoded: ReturnType<typeof decodeFile>;
    format: FormatName;
    document: ReturnType<typeof parseDocument>;
    outEncoding: TextEncoding;
    job: JobKey;
    checkpoint: Checkpoint;
  },
): Promise<TranslateReport> {
  const { decoded, format, document, outEncoding, job, checkpoint } = loaded;
  const { done: saved, blocked } = checkpoint.load(job);
  const report: TranslateReport = {
    format,
    encoding: describeEncoding(decoded.encoding),
    outEncoding: describeEncoding(outEncoding),
    total: document.segments.length,
    translated: 0,
    fromCheckpoint: 0,
    fromCache: 0,
    kept: 0,
    linesLeft: 0,
    linesPerModel: {},
    requests: 0,
    retries: 0,
    fallbacks: 0,
    tokens: { input: 0, output: 0 },
    untranslated: [],
    outputWritten: false,
    outputPartial: false,
  };
  const translations = new Map<string, string>();
  const order = new Map(document.segments.map((segment, index) => [segment.id, index]));
  const shields = new Map<string, ShieldedText>();
  const count = (model: string, lines: number) => {
    report.linesPerModel[model] = (report.linesPerModel[model] ?? 0) + lines;
  };

  const pending: Segment[] = [];
  const cachedLines: Array<{ lineId: string; text: string; translation: string; answeredBy: string }> = [];
  for (const segment of document.segments) {
    const shielded = shield(segment.text, document.placeholders);
    if (nothingToTranslate(shielded)) {
      translations.set(segment.id, segment.text);
      report.kept++;
      continue;
    }
    shields.set(segment.id, shielded);
    const done = saved.get(segment.id);
    if (done) {
      translations.set(segment.id, done.translation);
      report.fromCheckpoint++;
      count(done.answeredBy, 1);
      continue;
    }
    if (blocked.has(segment.id)) {
      report.untranslated.push({ id: segment.id, text: segment.text, reason: blocked.get(segment.id)! });
      continue;
    }
    const cached = checkpoint.fromCache(job, segment.text);
    if (cached) {
      translations.set(segment.id, cached.translation);
      cachedLines.push({
        lineId: segment.id,
        text: segment.text,
        translation: cached.translation,
        answeredBy: cached.answeredBy,
      });
      report.fromCache++;
      count(cached.answeredBy, 1);
      continue;
    }
    pending.push(segment);
  }
  if (cachedLines.length > 0) checkpoint.save(job, cachedLines);

  const settledBefore = translations.size + report.untranslated.length;
  let state: JobState = { type: 'translating' };
  const progress = () => {
    const done = translations.size + report.untranslated.length;
    onProgress({ done, total: report.total, doneThisRun: done - settledBefore, todoThisRun: pending.length, state });
  };
  let client = options.client;
  let unsubscribe: Array<() => void> = [];
  const subscribe = () => {
    unsubscribe = [
      client.on('wait-started', (event) => {
        if (event.until - options.clock.now() > 1000) {
          state = { type: 'waiting', until: event.until, reason: event.reason };
          progress();
        }
      }),
      client.on('model-fallback', (event) => {
        report.fallbacks++;
        state = { type: 'fell-back', model: event.to };
        progress();
      }),
      client.on('attempt-failed', () => {
        report.retries++;
      }),
    ];
  };
  subscribe();
  progress();

  const queue: Batch[] = [];
  for (let index = 0; index < pending.length; index += options.batchSize)
    queue.push({ segments: pending.slice(index, index + options.batchSize), reasked: false });
  // Stopping (spent quota, a failure no retry fixes) takes no new batch but lets the requests in
  // flight finish: their answers are paid for, and kept. Only the caller's signal aborts them.
  let stopping = false;
  const signal = options.signal ?? new AbortController().signal;

  const contextFor = (segments: Segment[]) => {
    const first = order.get(segments[0]!.id) ?? 0;
    return document.segments.slice(Math.max(0, first - options.contextLines), first).map((segment) => ({
      text: segment.text,
      ...(translations.has(segment.id) ? { translation: translations.get(segment.id)! } : {}),
    }));
  };

  const split = (batch: Batch) => {
    const middle = Math.ceil(batch.segments.length / 2);
    queue.unshift(
      { segments: batch.segments.slice(0, middle), reasked: false },
      { segments: batch.segments.slice(middle), reasked: false },
    );
  };

  const leaveUntranslated = (segment: Segment, reason: string, persist: boolean) => {
    report.untranslated.push({ id: segment.id, text: segment.text, reason });
    if (persist) checkpoint.markBlocked(job, segment.id, segment.text, reason);
    progress();
  };

  /** When the quota comes back: the error's reset (its client's quota day, compressed or not). */
  const resumeTime = (error: GeminiError): number | undefined => {
    const now = options.clock.now();
    if (error.resetAt !== undefined) return error.resetAt;
    return error.retryAfterMs !== undefined ? now + error.retryAfterMs : undefined;
  };

  // Every worker that meets the spent quota waits on the same reset; the client is renewed once.
  let resetWait: Promise<void> | undefined;
  const waitForReset = (until: number): Promise<void> => {
    resetWait ??= (async () => {
      state = { type: 'waiting', until, reason: 'quota reset' };
      progress();
      await options.clock.sleep(Math.max(0, until - options.clock.now()) + 250, signal);
      if (options.renewClient) {
        const old = client;
        for (const off of unsubscribe) off();
        client = options.renewClient();
        subscribe();
        await old.close();
      }
      state = { type: 'translating' };
      progress();
    })().finally(() => {
      resetWait = undefined;
    });
    return resetWait;
  };

  const handleFailure = async (batch: Batch, error: GeminiError): Promise<void> => {
    if (error.kind === 'blocked') {
      if (batch.segments.length > 1) split(batch);
      else
        leaveUntranslated(
          batch.segments[0]!,
          `blocked by a filter (${error.finishReason ?? error.blockReason ?? 'safety'})`,
          true,
        );
      return;
    }
    if (REQUEUE.has(error.kind)) {
      const requeued = (batch.requeued ?? 0) + 1;
      if (requeued <= MAX_REQUEUES) queue.push({ ...batch, requeued });
      else for (const segment of batch.segments) leaveUntranslated(segment, `${error.kind}: ${error.message}`, false);
      return;
    }
    if (SPLITTING.has(error.kind)) {
      if (batch.segments.length > 1) split(batch);
      else leaveUntranslated(batch.segments[0]!, `${error.kind}: ${error.message}`, false);
      return;
    }
    if (error.kind === 'rate_limited' && error.retryAfterMs !== undefined && error.retryAfterMs < SHORT_WAIT_MS) {
      queue.unshift(batch);
      await options.clock.sleep(error.retryAfterMs, signal);
      return;
    }
    if (error.kind === 'quota_exhausted' || error.kind === 'rate_limited') {
      const resumesAt = resumeTime(error);
      queue.unshift(batch);
      if (options.waitForReset && resumesAt !== undefined) {
        await waitForReset(resumesAt);
        return;
      }
      report.stoppedForQuota ??= { resumesAt: resumesAt ?? null, message: error.message };
      state = { type: 'stopping', reason: 'out of quota: finishing the requests in flight' };
      stopping = true;
      progress();
      return;
    }
    queue.unshift(batch);
    stopping = true;
    if (error.kind === 'cancelled') return;
    report.stoppedOnError ??= { kind: error.kind, message: error.message, explanation: explain(error).explanation };
    stopping = true;
  };

  const accept = (batch: Batch, replies: Map<string, string>, model: string) => {
    const good: Array<{ lineId: string; text: string; translation: string; answeredBy: string }> = [];
    const bad: Array<{ segment: Segment; problem: string }> = [];
    for (const segment of batch.segments) {
      const restored = unshield(replies.get(segment.id)!, shields.get(segment.id)!);
      if (restored.ok)
        good.push({ lineId: segment.id, text: segment.text, translation: restored.text, answeredBy: model });
      else bad.push({ segment, problem: restored.problem });
    }
    if (good.length > 0) {
      checkpoint.save(job, good);
      for (const line of good) translations.set(line.lineId, line.translation);
      report.translated += good.length;
      count(model, good.length);
    }
    if (bad.length > 0) {
      // Asked again on their own once; then left in the source language and listed.
      if (!batch.reasked) queue.unshift({ segments: bad.map((item) => item.segment), reasked: true });
      else
        for (const item of bad) leaveUntranslated(item.segment, `the reply broke its markup (${item.problem})`, false);
    }
  };

  const worker = async () => {
    while (!signal.aborted && !stopping) {
      if (resetWait) {
        try {
          await resetWait;
        } catch {
          return;
        }
        continue;
      }
      const batch = queue.shift();
      if (!batch) return;
      const request = buildRequest({
        segments: batch.segments.map((segment) => ({ id: segment.id, text: shields.get(segment.id)!.text })),
        context: contextFor(batch.segments),
        glossary: options.glossary
          ? termsIn(
              options.glossary,
              batch.segments.map((segment) => segment.text),
            )
          : {},
        ...(options.from ? { from: options.from } : {}),
        to: options.to,
      });
      report.requests++;
      try {
        const result = await client.generateContent(options.model, request, { signal });
        report.tokens.input += result.response.usageMetadata?.promptTokenCount ?? 0;
        report.tokens.output += result.response.usageMetadata?.candidatesTokenCount ?? 0;
        const check = checkReply(result.text, batch.segments);
        if (!check.ok) {
          if (!batch.reasked) queue.unshift({ segments: batch.segments, reasked: true });
          else if (batch.segments.length > 1) split(batch);
          else
            leaveUntranslated(batch.segments[0]!, `the model's reply did not match the line (${check.problem})`, false);
          continue;
        }
        accept(batch, check.translations, result.model);
        if (state.type === 'waiting') state = { type: 'translating' };
        progress();
      } catch (failure) {
        if (signal.aborted) {
          queue.unshift(batch);
          return;
        }
        const error = isGeminiError(failure)
          ? failure
          : new GeminiError({
              kind: 'unknown',
              retryable: false,
              source: 'text',
              message: String(failure),
              quota: [],
              helpLinks: [],
              fieldViolations: [],
              details: [],
            });
        try {
          await handleFailure(batch, error);
        } catch {
          return; // aborted while waiting
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    for (const off of unsubscribe) off();
  }

  report.linesLeft = report.total - translations.size - report.untranslated.length;
  report.untranslated.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  if (options.signal?.aborted) return report;
  // A stopped run still writes what it has (untranslated lines in the source language), except when
  // it stopped on an error before translating anything: a copy of the input helps nobody.
  if (report.stoppedOnError && report.translated + report.fromCheckpoint + report.fromCache === 0) return report;
  let bytes: Buffer;
  try {
    bytes = encodeFile(document.render(translations), outEncoding);
  } catch (error) {
    if (!(error instanceof UnencodableError)) throw error;
    report.unencodable = { line: error.line, character: error.character, message: error.message };
    return report;
  }
  const temporary = `${options.output}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, options.output);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing was written
    }
    throw error;
  }
  report.outputWritten = true;
  report.outputPartial = report.linesLeft > 0;
  return report;
}
