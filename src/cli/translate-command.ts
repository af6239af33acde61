// `gemwarden translate`: a resumable batch translation with a progress bar and a final report.
import { basename, dirname, extname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { createClient } from '../client/index.js';
import { checkConfig, ConfigError, readConfigFile } from '../config/load-file.js';
import { checkOptions } from './process-helpers.js';
import {
  clientOptionsFromConfig,
  GATEWAY_DEFAULTS,
  gatewayConfigSchema,
  keysFromEnvironment,
  type CheckedGatewayConfig,
} from '../gateway/index.js';
import { formatLocalTime, formatPacificTime, realClock } from '../time/index.js';
import { FormatError, type FormatName } from '../translate/formats/index.js';
import { loadGlossary } from '../translate/glossary.js';
import { runTranslate, type JobState, type TranslateReport } from '../translate/run-translate.js';

export interface TranslateCliOptions {
  to: string;
  from?: string;
  out?: string;
  model?: string;
  config?: string;
  glossary?: string;
  context?: string;
  batch?: string;
  concurrency?: string;
  waitForReset?: boolean;
  format?: string;
  column?: string;
}

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

function describeState(state: JobState): string {
  if (state.type === 'waiting')
    return `waiting for ${state.reason === 'backoff' ? 'a retry' : state.reason} until ${formatLocalTime(state.until)}`;
  if (state.type === 'fell-back') return `fell back to ${state.model}`;
  return 'translating';
}

function printReport(report: TranslateReport, output: string): void {
  const lines = [
    '',
    pc.bold('Translation report'),
    `  lines: ${report.total} (${report.translated} translated now, ${report.fromCheckpoint} from the checkpoint, ${report.fromCache} from the cache)`,
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
  if (report.stoppedForQuota) {
    const when = report.stoppedForQuota.resumesAt
      ? `resumes at ${formatPacificTime(report.stoppedForQuota.resumesAt)}`
      : 'quota is spent on every key and model';
    lines.push(
      pc.yellow(
        `  stopped cleanly: ${when}. Everything translated so far is saved; run the same command again then (or add --wait-for-reset).`,
      ),
    );
  }
  if (report.stoppedOnError) {
    lines.push(
      pc.red(`  stopped: ${report.stoppedOnError.kind}: ${report.stoppedOnError.message}`),
      `  ${report.stoppedOnError.explanation}`,
    );
  }
  if (report.outputWritten) lines.push(pc.green(`  written: ${output}`));
  process.stderr.write(`${lines.join('\n')}\n`);
}

export async function translateCommand(input: string, options: TranslateCliOptions): Promise<number> {
  const checked = checkOptions('translate', () => ({
    config: (options.config
      ? checkConfig(gatewayConfigSchema, readConfigFile(options.config), options.config)
      : {}) as CheckedGatewayConfig,
    batch: positiveInteger(options.batch, 20, 'batch'),
    context: positiveInteger(options.context, 3, 'context', true),
    concurrency: positiveInteger(options.concurrency, 4, 'concurrency'),
    glossary: options.glossary ? loadGlossary(options.glossary) : undefined,
  }));
  if ('exitCode' in checked) return checked.exitCode;
  const { config, batch, context, concurrency, glossary } = checked.value;
  if (!existsSync(input)) {
    process.stderr.write(`gemwarden translate: cannot read ${input}: no such file\n`);
    return 2;
  }
  const keys = config.keys && config.keys.length > 0 ? config.keys : keysFromEnvironment(process.env);
  if (keys.length === 0) {
    process.stderr.write(
      'gemwarden translate: no API key: set GEMINI_API_KEY (or GEMINI_API_KEYS=k1,k2), or give --config with "keys" (and "upstream" for the emulator).\n',
    );
    return 2;
  }
  const output = resolve(options.out ?? defaultOutput(input, options.to));
  const client = createClient(clientOptionsFromConfig(config, keys, config.upstream ?? GATEWAY_DEFAULTS.upstream));
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: `${pc.cyan('{bar}')} {value}/{total} lines | {rate} lines/min | ETA {eta_formatted} | {state}`,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const started = Date.now();
  let lastLog = 0;
  let lastState = '';
  let report: TranslateReport;
  try {
    report = await runTranslate(
      {
        input,
        output,
        checkpointPath: join(dirname(output), '.gemwarden-translate.sqlite'),
        to: options.to,
        ...(options.from ? { from: options.from } : {}),
        model: options.model ?? 'gemini-2.5-flash',
        ...(options.format ? { format: options.format as FormatName } : {}),
        ...(options.column ? { column: options.column } : {}),
        ...(glossary ? { glossary } : {}),
        contextLines: context,
        batchSize: batch,
        concurrency,
        waitForReset: Boolean(options.waitForReset),
        client,
        clock: realClock,
        signal: interrupted.signal,
      },
      ({ done, total, state }) => {
        const minutes = (Date.now() - started) / 60_000;
        const rate = minutes > 0 ? Math.round(done / minutes) : 0;
        const text = describeState(state);
        if (bar) {
          if (bar.getTotal() !== total) bar.start(total, done, { state: text, rate });
          bar.update(done, { state: text, rate });
        } else if (Date.now() - lastLog > 5000 || text !== lastState || done === total) {
          process.stderr.write(
            `translate: ${done}/${total} lines (${total ? Math.round((100 * done) / total) : 100}%), ${rate} lines/min, ${text}\n`,
          );
          lastLog = Date.now();
          lastState = text;
        }
      },
    );
  } catch (error) {
    bar?.stop();
    await client.close();
    if (error instanceof FormatError) {
      process.stderr.write(`gemwarden translate: ${input}: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  bar?.stop();
  await client.close();
  if (interrupted.signal.aborted) {
    process.stderr.write(
      `gemwarden translate: interrupted; every finished line is saved. Run the same command again to resume.\n`,
    );
    return 130;
  }
  printReport(report, output);
  if (report.stoppedOnError) return 1;
  if (report.stoppedForQuota) return 3;
  return 0;
}
