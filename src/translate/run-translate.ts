// A translation job: segments in, batches through the resilient client, every finished line saved at
// once, remedies in batch terms (split on 500/too large/504/bad alignment, mark blocked lines, stop or
// wait on spent quota), then the output written whole, keeping the input's structure.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { GeminiClient } from '../client/index.js';
import { explain, GeminiError, isGeminiError, type ErrorKind } from '../errors/index.js';
import type { Clock } from '../time/index.js';
import { Checkpoint, sha256, type JobKey } from './checkpoint.js';
import { detectFormat, parseDocument, type FormatName, type Segment } from './formats/index.js';
import { termsIn, type Glossary } from './glossary.js';
import { buildRequest, checkReply, PROMPT_VERSION } from './prompt.js';

export interface TranslateOptions {
  input: string;
  output: string;
  checkpointPath: string;
  to: string;
  from?: string;
  model: string;
  format?: FormatName;
  column?: string;
  glossary?: Glossary;
  contextLines: number;
  batchSize: number;
  concurrency: number;
  waitForReset: boolean;
  client: GeminiClient;
  clock: Clock;
  signal?: AbortSignal;
}

export type JobState =
  { type: 'translating' } | { type: 'waiting'; until: number; reason: string } | { type: 'fell-back'; model: string };

export interface Progress {
  done: number;
  total: number;
  state: JobState;
}

export interface UntranslatedLine {
  id: string;
  text: string;
  reason: string;
}

export interface TranslateReport {
  format: FormatName;
  total: number;
  translated: number;
  fromCheckpoint: number;
  fromCache: number;
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
  outputWritten: boolean;
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

interface Batch {
  segments: Segment[];
  reasked: boolean;
  requeued?: number;
}

export async function runTranslate(
  options: TranslateOptions,
  onProgress: (progress: Progress) => void = () => undefined,
): Promise<TranslateReport> {
  const source = readFileSync(options.input, 'utf8');
  const format = options.format ?? detectFormat(options.input);
  const document = parseDocument(source, format, options.column !== undefined ? { column: options.column } : {});
  const job: JobKey = {
    inputHash: sha256(source),
    target: options.to,
    source: options.from ?? 'auto',
    model: options.model,
    promptVersion: PROMPT_VERSION,
  };
  const checkpoint = new Checkpoint(options.checkpointPath);
  const { done: saved, blocked } = checkpoint.load(job);
  const report: TranslateReport = {
    format,
    total: document.segments.length,
    translated: 0,
    fromCheckpoint: 0,
    fromCache: 0,
    linesPerModel: {},
    requests: 0,
    retries: 0,
    fallbacks: 0,
    tokens: { input: 0, output: 0 },
    untranslated: [],
    outputWritten: false,
  };
  const translations = new Map<string, string>();
  const order = new Map(document.segments.map((segment, index) => [segment.id, index]));
  const count = (model: string, lines: number) => {
    report.linesPerModel[model] = (report.linesPerModel[model] ?? 0) + lines;
  };

  const pending: Segment[] = [];
  const cachedLines: Array<{ lineId: string; text: string; translation: string; answeredBy: string }> = [];
  for (const segment of document.segments) {
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

  let state: JobState = { type: 'translating' };
  const progress = () =>
    onProgress({ done: translations.size + report.untranslated.length, total: report.total, state });
  const unsubscribe = [
    options.client.on('wait-started', (event) => {
      if (event.until - options.clock.now() > 1000) {
        state = { type: 'waiting', until: event.until, reason: event.reason };
        progress();
      }
    }),
    options.client.on('model-fallback', (event) => {
      report.fallbacks++;
      state = { type: 'fell-back', model: event.to };
      progress();
    }),
    options.client.on('attempt-failed', () => {
      report.retries++;
    }),
  ];
  progress();

  const queue: Batch[] = [];
  for (let index = 0; index < pending.length; index += options.batchSize)
    queue.push({ segments: pending.slice(index, index + options.batchSize), reasked: false });
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

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
    if (error.kind === 'quota_exhausted' || error.kind === 'rate_limited') {
      const snapshot = await options.client.snapshot();
      const now = options.clock.now();
      const parked = snapshot.pairs
        .map((pair) => pair.parkedUntil ?? pair.coolingUntil ?? Number.POSITIVE_INFINITY)
        .filter((at) => at > now && Number.isFinite(at));
      const resumesAt =
        error.resetAt ??
        (parked.length > 0
          ? Math.min(...parked)
          : error.retryAfterMs !== undefined
            ? now + error.retryAfterMs
            : undefined);
      if (options.waitForReset && resumesAt !== undefined) {
        state = { type: 'waiting', until: resumesAt, reason: 'quota reset' };
        progress();
        await options.clock.sleep(Math.max(0, resumesAt - now) + 1000, signal);
        state = { type: 'translating' };
        queue.unshift(batch);
        return;
      }
      report.stoppedForQuota = { resumesAt: resumesAt ?? null, message: error.message };
      stop.abort();
      return;
    }
    if (error.kind === 'cancelled') {
      stop.abort();
      return;
    }
    report.stoppedOnError = { kind: error.kind, message: error.message, explanation: explain(error).explanation };
    stop.abort();
  };

  const worker = async () => {
    while (!signal.aborted) {
      const batch = queue.shift();
      if (!batch) return;
      const request = buildRequest({
        segments: batch.segments,
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
        const result = await options.client.generateContent(options.model, request, { signal });
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
        checkpoint.save(
          job,
          batch.segments.map((segment) => ({
            lineId: segment.id,
            text: segment.text,
            translation: check.translations.get(segment.id)!,
            answeredBy: result.model,
          })),
        );
        for (const [id, translation] of check.translations) translations.set(id, translation);
        report.translated += batch.segments.length;
        count(result.model, batch.segments.length);
        if (state.type === 'waiting') state = { type: 'translating' };
        progress();
      } catch (failure) {
        if (signal.aborted && !isGeminiError(failure)) return;
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
          return; // aborted while waiting for a reset
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    for (const off of unsubscribe) off();
    checkpoint.close();
  }

  if (!report.stoppedForQuota && !report.stoppedOnError && !options.signal?.aborted) {
    const temporary = `${options.output}.tmp-${process.pid}`;
    writeFileSync(temporary, document.render(translations));
    renameSync(temporary, options.output);
    report.outputWritten = true;
  }
  report.untranslated.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return report;
}
