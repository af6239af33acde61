// `gemwarden emulate`: runs the emulator until interrupted.
import { checkConfig, readConfigFile } from '../config/load-file.js';
import { EMULATOR_DEFAULTS, emulatorConfigSchema, startEmulator } from '../emulator/index.js';
import { checkOptions, parsePort, waitForShutdown } from './process-helpers.js';

export interface EmulateOptions {
  host?: string;
  port?: string;
  config?: string;
}

export async function emulateCommand(options: EmulateOptions): Promise<number> {
  const checked = checkOptions('emulate', () => ({
    config: options.config ? checkConfig(emulatorConfigSchema, readConfigFile(options.config), options.config) : {},
    port: parsePort(options.port, EMULATOR_DEFAULTS.port),
  }));
  if ('exitCode' in checked) return checked.exitCode;
  const { config, port } = checked.value;
  const host = options.host ?? EMULATOR_DEFAULTS.host;
  let emulator;
  try {
    emulator = await startEmulator(config, { host, port });
  } catch (error) {
    process.stderr.write(`gemwarden emulate: cannot listen on ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  const keys = config.keys ? `${config.keys.length} configured` : 'any non-empty key';
  process.stdout.write(`gemwarden emulator listening on ${emulator.url}\n`);
  process.stdout.write(
    `  keys: ${keys}; faults: ${config.faults?.length ?? 0}; admin: ${emulator.url}/_emulator/stats\n`,
  );
  process.stdout.write(
    `  also: GET /_emulator/requests (what arrived), POST /_emulator/keys/{key} {"state": …}, PUT /_emulator/config\n`,
  );
  process.stdout.write(`  point an SDK at it, e.g. @google/genai with httpOptions.baseUrl = '${emulator.url}'\n`);
  await waitForShutdown();
  await emulator.close();
  return 0;
}
