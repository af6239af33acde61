// `gemwarden translate`: a resumable batch translation with a progress line and a final report.
// Exit codes: 0 done, 1 stopped on a failure no retry fixes, 2 a usage problem (bad option, unknown
// format or encoding, binary input, a translation the output encoding cannot hold: nothing written),
// 3 out of quota (partial output written), 4 another run holds the job, 130 interrupted.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { createClient } from '../client/index.js';
import { checkConfig, ConfigError, readConfigFile } from '../config/load-file.js';
import { checkOptions, UsageError } from './process-helpers.js';
import type { TranslateCliOptions } from './translate-options.js';
import {
  clientOptionsFromConfig,
  GATEWAY_DEFAULTS,
  gatewayConfigSchema,
  keysFromEnvironment,
} from '../gateway/index.js';
import { formatPacificTime, realClock } from '../time/index.js';
import { CheckpointError } from '../translate/checkpoint.js';
import { EncodingError, encodingFromOption } from '../translate/encoding.js';
import { checkFormatName, FormatError, type FormatOptions } from '../translate/formats/index.js';
import { loadGlossary } from '../translate/glossary.js';
import {
  JobLockedError,
  loadDocument,
  runTranslate,
  type JobState,
  type Progress,
  type TranslateReport,
} from '../translate/run-translate.js';

function positiveInteger(value: string | undefined, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1))
    throw new ConfigError(`--${name} must be a whole number${allowZero ? '' : ' above 0'}, got "${value}"`);
  return number;
}

export function defaultOutput(input: string, to: string): string {
  const extension = extname(input);
  return join(dirname(input), `${basename(input, extension)}.${to}${extension}`);
}

/** "14:05:09 CET (in 3m 20s)": a time with its zone, and how far away it is. */
export function formatWhen(ms: number, now = realClock.now()): string {
  const time = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(ms));
  return `${time} (in ${formatDuration(Math.max(0, ms - now))})`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${minutes % 60}m`;
}

function describeState(state: JobState): string {
  if (state.type === 'waiting')
    return `waiting for ${state.reason === 'backoff' ? 'a retry' : state.reason} until ${formatWhen(state.until)}`;
  if (state.type === 'fell-back') return `fell back to ${state.model}`;
  if (state.type === 'stopping') return state.reason;
  return 'translating';
}

/**
 * Rate and ETA from this run's own work: lines from the checkpoint or cache settle at once and
 * would make the rate absurd. Before the first line is done there is no estimate yet.
 */
export function rateAndEta(progress: Progress, elapsedMs: number): { rate: string; eta: string } {
  if (progress.todoThisRun - progress.doneThisRun <= 0 && progress.doneThisRun <= 0) return { rate: '–', eta: '0s' };
  if (progress.doneThisRun <= 0 || elapsedMs <= 0) return { rate: '–', eta: 'estimating' };
  const perMs = progress.doneThisRun / elapsedMs;
  const left = Math.max(0, progress.todoThisRun - progress.doneThisRun);
  return { rate: String(Math.round(perMs * 60_000)), eta: formatDuration(left / perMs) };
}

function printReport(report: TranslateReport, output: string): void {
  const lines = [
    '',
    pc.bold('Translation report'),
    `  format: ${report.format}; encoding: ${report.encoding}${report.outEncoding !== report.encoding ? ` → ${report.outEncoding}` : ''}`,
    `  lines: ${report.total} (${report.translated} translated now, ${report.fromCheckpoint} from the checkpoint, ${report.fromCache} from the cache${report.kept ? `, ${report.kept} with nothing to translate` : ''})`,
    `  by model: ${
      Object.entries(report.linesPerModel)
        .map(([model, count]) => `${model} ${count}`)
        .join(', ') || 'none'
    }`,
    `  requests: ${report.requests}; failed attempts retried or moved on: ${report.retries}; model fallbacks: ${report.fallbacks}`,
    `  tokens: ${report.tokens.input} in, ${report.tokens.output} out`,
  ];
  if (report.untranslated.length > 0) {
    lines.push(pc.yellow(`  left untranslated: ${report.untranslated.length} line(s) (kept in the source language)`));
    for (const line of report.untranslated.slice(0, 20))
      lines.push(`    ${line.id}: ${line.reason} — ${JSON.stringify(line.text.slice(0, 60))}`);
    if (report.untranslated.length > 20) lines.push(`    … and ${report.untranslated.length - 20} more`);
  }
  if (report.linesLeft > 0) lines.push(pc.yellow(`  lines left to translate: ${report.linesLeft} of ${report.total}`));
  if (report.stoppedForQuota) {
    const when = report.stoppedForQuota.resumesAt
      ? `the quota resets at ${formatWhen(report.stoppedForQuota.resumesAt)}${report.stoppedForQuota.resumesAt - realClock.now() > 3_600_000 ? `, ${formatPacificTime(report.stoppedForQuota.resumesAt)}` : ''}`
      : 'quota is spent on every key and model';
    lines.push(
      pc.yellow(
        `  stopped cleanly, out of quota: ${when}. Every answer received is saved; run the same command again then (or add --wait-for-reset).`,
      ),
    );
  }
  if (report.stoppedOnError) {
    lines.push(
      pc.red(`  stopped: ${report.stoppedOnError.kind}: ${report.stoppedOnError.message}`),
      `  ${report.stoppedOnError.explanation}`,
    );
  }
  if (report.unencodable) lines.push(pc.red(`  not written: ${report.unencodable.message}`));
  if (report.outputWritten)
    lines.push(
      report.outputPartial
        ? pc.yellow(`  written (partial: ${report.linesLeft} line(s) still in the source language): ${output}`)
        : pc.green(`  written: ${output}`),
    );
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** A bad option value found by the format or encoding code is a usage problem (exit 2). */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof FormatError || error instanceof EncodingError) throw new UsageError(error.message);
    throw error;
  }
}

function formatOptionsFrom(options: TranslateCliOptions, format: string | undefined): FormatOptions {
  const delimited = format === undefined || format === 'csv' || format === 'tsv';
  if (!delimited && (options.column !== undefined || options.toColumn !== undefined))
    throw new UsageError(`--column and --to-column apply to CSV/TSV files, not to --format ${format}`);
  const fuzzy = (options.poFuzzy ?? 'yes').toLowerCase();
  if (!['yes', 'no', 'true', 'false'].includes(fuzzy))
    throw new UsageError(`--po-fuzzy must be yes or no, got "${options.poFuzzy}"`);
  return {
    ...(options.column !== undefined ? { column: options.column } : {}),
    ...(options.toColumn !== undefined ? { toColumn: options.toColumn } : {}),
    ...(options.jsonPath && options.jsonPath.length > 0 ? { jsonPath: options.jsonPath } : {}),
    ...(fuzzy === 'no' || fuzzy === 'false' ? { poFuzzy: false } : {}),
  };
}

export async function translateCommand(input: string, options: TranslateCliOptions): Promise<number> {
  const checked = checkOptions('translate', () => {
    const format = options.format !== undefined ? usage(() => checkFormatName(options.format!)) : undefined;
    if (options.encoding !== undefined) usage(() => encodingFromOption(options.encoding!));
    if (options.outEncoding !== undefined) usage(() => encodingFromOption(options.outEncoding!, '--out-encoding'));
    return {
      config: checkConfig(
        gatewayConfigSchema,
        options.config ? readConfigFile(options.config) : {},
        options.config ?? 'defaults',
      ),
      batch: positiveInteger(options.batch, 20, 'batch'),
      context: positiveInteger(options.context, 3, 'context', true),
      concurrency: positiveInteger(options.concurrency, 4, 'concurrency'),
      glossary: options.glossary ? loadGlossary(options.glossary) : undefined,
      format,
      formatOptions: formatOptionsFrom(options, format),
    };
  });
  if ('exitCode' in checked) return checked.exitCode;
  const { config, batch, context, concurrency, glossary, format, formatOptions } = checked.value;
  const fail = (message: string, code = 2) => {
    process.stderr.write(`gemwarden translate: ${message}\n`);
    return code;
  };
  if (!existsSync(input)) return fail(`cannot read ${input}: no such file`);
  if (statSync(input).isDirectory()) return fail(`${input} is a folder: give one file`);
  const output = resolve(options.out ?? defaultOutput(input, options.to));
  const outFolder = dirname(output);
  if (!existsSync(outFolder) || !statSync(outFolder).isDirectory())
    return fail(
      `the output folder ${outFolder} does not exist: create it (mkdir -p "${outFolder}") or choose another --out`,
    );
  if (resolve(input) === output) return fail('--out is the input file itself: choose another path');
  // Read, decode and parse before anything else: a file we cannot handle costs no request.
  try {
    loadDocument({
      input,
      ...(format ? { format } : {}),
      formatOptions,
      ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    });
  } catch (error) {
    if (error instanceof FormatError || error instanceof EncodingError) return fail(`${input}: ${error.message}`);
    throw error;
  }
  const keys = config.keys && config.keys.length > 0 ? config.keys : keysFromEnvironment(process.env);
  if (keys.length === 0)
    return fail(
      'no API key: set GEMINI_API_KEY (or GEMINI_API_KEYS=k1,k2), or give --config with "keys" (and "upstream" for the emulator).',
    );
  const makeClient = () =>
    createClient(clientOptionsFromConfig(config, keys, config.upstream ?? GATEWAY_DEFAULTS.upstream));
  const client = makeClient();
  const clients = [client];
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: `${pc.cyan('{bar}')} {value}/{total} lines | {rate} lines/min | ETA {eta_text} | {state}`,
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = realClock.now();
  let lastLog = 0;
  let lastState = '';
  let report: TranslateReport;
  try {
    report = await runTranslate(
      {
        input,
        output,
        checkpointPath: join(outFolder, '.gemwarden-translate.sqlite'),
        to: options.to,
        ...(options.from ? { from: options.from } : {}),
        model: options.model ?? 'gemini-2.5-flash',
        ...(format ? { format } : {}),
        formatOptions,
        ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
        ...(options.outEncoding !== undefined ? { outEncoding: options.outEncoding } : {}),
        ...(glossary ? { glossary } : {}),
        contextLines: context,
        batchSize: batch,
        concurrency,
        waitForReset: Boolean(options.waitForReset),
        waitForLock: Boolean(options.wait),
        client,
        renewClient: () => {
          const fresh = makeClient();
          clients.push(fresh);
          return fresh;
        },
        clock: realClock,
        signal: interrupted.signal,
        onLockWait: (holder) =>
          process.stderr.write(
            `gemwarden translate: pid ${holder.pid} on ${holder.host} is translating this job (since ${new Date(holder.since).toISOString()}); waiting for it (--wait)\n`,
          ),
      },
      (progress) => {
        const { done, total, state } = progress;
        const { rate, eta } = rateAndEta(progress, realClock.now() - started);
        const text = describeState(state);
        if (bar) {
          if (bar.getTotal() !== total) bar.start(total, done, { state: text, rate, eta_text: eta });
          bar.update(done, { state: text, rate, eta_text: eta });
        } else if (realClock.now() - lastLog > 5000 || text !== lastState || done === total) {
          process.stderr.write(
            `translate: ${done}/${total} lines (${total ? Math.round((100 * done) / total) : 100}%), ${rate} lines/min, ETA ${eta}, ${text}\n`,
          );
          lastLog = realClock.now();
          lastState = text;
        }
      },
    );
  } catch (error) {
    bar?.stop();
    await Promise.all(clients.map((each) => each.close()));
    if (error instanceof JobLockedError) return fail(error.message, 4);
    if (error instanceof CheckpointError) return fail(error.message);
    if (error instanceof FormatError || error instanceof EncodingError) return fail(`${input}: ${error.message}`);
    if (interrupted.signal.aborted) return fail('interrupted before the job started; nothing was sent.', 130);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  bar?.stop();
  await Promise.all(clients.map((each) => each.close().catch(() => undefined)));
  if (interrupted.signal.aborted) {
    process.stderr.write(
      `gemwarden translate: interrupted with ${report.linesLeft} line(s) left; every finished line is saved. Run the same command again to resume.\n`,
    );
    return 130;
  }
  printReport(report, output);
  if (report.unencodable) return 2;
  if (report.stoppedOnError) return 1;
  if (report.stoppedForQuota) return 3;
  return 0;
}
