// The options of `gemwarden translate`, registered on the program without loading the command
// itself (which brings SQLite, the encodings and the client): see translate-command.ts for the run.
import type { Command } from 'commander';
import { FORMAT_NAMES } from '../translate/formats/format.js';

/** The options as commander parses them (strings; checked by translateCommand). */
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
  wait?: boolean;
  format?: string;
  column?: string;
  toColumn?: string;
  jsonPath?: string[];
  encoding?: string;
  outEncoding?: string;
  poFuzzy?: string;
}

/** Registers the command and its options on the program (main.ts wires it in with one line). */
export function registerTranslateCommand(program: Command, setCode: (code: number) => void): void {
  program
    .command('translate')
    .description('translate a script, subtitle or game data file, resumably, whatever Gemini does')
    .argument('<input>', `the file to translate (formats: ${FORMAT_NAMES.join(', ')})`)
    .requiredOption('--to <lang>', 'target language, e.g. French or fr')
    .option('--from <lang>', 'source language (default: detected by the model)')
    .option('--out <file>', 'output file (default: INPUT.LANG.ext beside the input); its folder must exist')
    .option('--model <model>', 'model to ask first', 'gemini-2.5-flash')
    .option(
      '--config <file>',
      'the same config as gemwarden serve (upstream, keys, fallbacks, limits, quotaWindows, redis)',
    )
    .option('--glossary <file>', 'terms and their translations (JSON object, or CSV/TSV lines term,translation)')
    .option('--context <n>', 'previous lines sent as context', '3')
    .option('--batch <n>', 'lines per request', '20')
    .option('--concurrency <n>', 'requests in flight at once', '4')
    .option('--format <format>', `one of ${FORMAT_NAMES.join(', ')} (default: recognised from the file)`)
    .option(
      '--encoding <name>',
      "the input's encoding (default: detected; e.g. shift_jis, gbk, big5, euc-kr, utf-16le)",
    )
    .option('--out-encoding <name>', "write the output in this encoding (default: the input's, same BOM)")
    .option('--column <column>', 'CSV/TSV source column: header name or number from 1')
    .option('--to-column <column>', 'CSV/TSV target column (created when the header lacks it, e.g. Godot\'s "de")')
    .option(
      '--json-path <expression>',
      'JSONPath choosing the strings to translate in any JSON (repeatable), e.g. "$..text"',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--po-fuzzy <yes|no>', 'PO: mark filled entries "#, fuzzy" for review', 'yes')
    .option('--wait-for-reset', 'when every key and model is out of quota, wait for the reset instead of stopping')
    .option('--wait', 'when another run is translating the same job, wait for it instead of exiting')
    .action(async (input: string, options: TranslateCliOptions) => {
      // Loaded on use: the job runner brings SQLite, the encodings and the client (see main.ts).
      const { translateCommand } = await import('./translate-command.js');
      setCode(await translateCommand(input, options));
    });
}
