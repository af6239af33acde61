// argv → command. Each command lives in its own file and returns an exit code; only the CLI prints.
// A command's module is imported when that command runs, not before: `gemwarden explain` must start
// fast and load neither the server, Redis nor SQLite (test/cli-lazy-load.test.ts holds this).
import { Command, CommanderError } from 'commander';
import type { DoctorCliOptions } from './doctor-command.js';
import type { EmulateOptions } from './emulate-command.js';
import type { ServeOptions } from './serve-command.js';
import { registerTranslateCommand } from './translate-options.js';

export const VERSION = '0.1.0';

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command()
    .name('gemwarden')
    .description('Keeps applications working when the Gemini API fails.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();

  program
    .command('explain')
    .description('explain a Gemini error body or log line (from FILE, or standard input)')
    .argument('[file]', 'file with the error text; "-" or nothing reads standard input')
    .option('--json', 'print one JSON object instead of text')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const { explainCommand } = await import('./explain-command.js');
      setCode(await explainCommand(file, options));
    });

  program
    .command('serve')
    .description('run the gateway: a Gemini-compatible and OpenAI-compatible endpoint with every remedy built in')
    .option('--host <host>', 'address to listen on (not loopback: client tokens required)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8787')
    .option('--config <file>', 'gateway config (JSON or YAML): upstream, keys, fallbacks, limits, redis, clients')
    .action(async (options: ServeOptions) => {
      const { serveCommand } = await import('./serve-command.js');
      setCode(await serveCommand(options));
    });

  program
    .command('emulate')
    .description('run a local Gemini API that reproduces real errors, quotas and faults')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8788')
    .option('--config <file>', 'emulator config (JSON or YAML): keys, models, quotas, clock, latency, faults')
    .action(async (options: EmulateOptions) => {
      const { emulateCommand } = await import('./emulate-command.js');
      setCode(await emulateCommand(options));
    });

  program
    .command('doctor')
    .description('check each key and model with the smallest calls possible, and say what is wrong and how to fix it')
    .option('--config <file>', 'gateway config (keys, upstream, fallbacks); else GEMINI_API_KEY(S)')
    .option('--upstream <url>', 'the API to check against (e.g. the emulator)')
    .option(
      '--model <model>',
      "a model to check (repeatable); default: the config's fallback models, else gemini-2.5-flash and gemini-2.5-pro",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--no-generate', 'skip the one-token generateContent (list models and countTokens only)')
    .option('--json', 'print the report as JSON')
    .action(async (options: DoctorCliOptions) => {
      const { doctorCommand } = await import('./doctor-command.js');
      setCode(await doctorCommand(options));
    });

  registerTranslateCommand(program, setCode);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((value) => {
    code = value;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return code;
}
