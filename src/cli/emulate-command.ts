// `gemwarden emulate`: runs the emulator until interrupted.
import { checkConfig, ConfigError, readConfigFile } from '../config/load-file.js';
import { EMULATOR_DEFAULTS, emulatorConfigSchema, startEmulator, type EmulatorConfig } from '../emulator/index.js';
import { parsePort, waitForShutdown } from './process-helpers.js';

export interface EmulateOptions { host?: string; port?: string; config?: string }

export async function emulateCommand(options: EmulateOptions): Promise<number> {
  let config: EmulatorConfig = {};
  let port: number;
  try {
    if (options.config) config = checkConfig(emulatorConfigSchema, readConfigFile(options.config), options.config);
    port = parsePort(options.port, EMULATOR_DEFAULTS.port);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gemwarden emulate: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
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
  process.stdout.write(`  keys: ${keys}; faults: ${config.faults?.length ?? 0}; admin: ${emulator.url}/_emulator/stats\n`);
  process.stdout.write(`  point an SDK at it, e.g. @google/genai with httpOptions.baseUrl = '${emulator.url}'\n`);
  await waitForShutdown();
  await emulator.close();
  return 0;
}
