// `gemwarden serve`: runs the gateway until interrupted, then drains in-flight requests. With no
// key anywhere, it starts the built-in emulator first and points the gateway at it, loudly.
import { checkConfig, readConfigFile } from '../config/load-file.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import {
  GatewayConfigError,
  gatewayConfigSchema,
  InvalidOptionsError,
  keysFromEnvironment,
  startGateway,
  type GatewayConfig,
  type GatewayHandle,
  type GatewayOptions,
} from '../gateway/index.js';
import { checkOptions, parsePort, waitForShutdown } from './process-helpers.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  config?: string;
}

/** The key the gateway uses with the built-in emulator (which accepts any non-empty key). */
const EMULATOR_KEY = 'built-in-emulator-key';

/** A gateway, and the built-in emulator behind it when it runs without keys. */
export interface Serving {
  gateway: GatewayHandle;
  emulator?: EmulatorHandle;
  close(): Promise<void>;
}

/**
 * Starts the gateway; when neither the config nor the environment has a key, first starts the
 * built-in emulator on a free loopback port, serves from it and says so through `notice`.
 */
export async function startServing(
  config: GatewayConfig,
  options: GatewayOptions & { notice?: (line: string) => void } = {},
): Promise<Serving> {
  const { notice = (line: string) => process.stderr.write(`${line}\n`), ...gatewayOptions } = options;
  const hasKeys = (config.keys ?? []).length > 0 || keysFromEnvironment(options.env ?? process.env).length > 0;
  if (hasKeys) {
    const gateway = await startGateway(config, gatewayOptions);
    return { gateway, close: () => gateway.close() };
  }
  const emulator = await startEmulator({}, { host: '127.0.0.1', port: 0 });
  let gateway: GatewayHandle;
  try {
    gateway = await startGateway(
      { ...config, upstream: emulator.url, keys: [EMULATOR_KEY] },
      { ...gatewayOptions, upstreamLabel: `built-in emulator (${emulator.url})` },
    );
  } catch (error) {
    await emulator.close();
    throw error;
  }
  notice('!'.repeat(78));
  notice('! No Gemini API key configured (GEMINI_API_KEY, GEMINI_API_KEYS or "keys" in the config).');
  notice(`! Serving from the BUILT-IN EMULATOR at ${emulator.url}: answers are emulated, not Gemini's.`);
  notice('!'.repeat(78));
  return {
    gateway,
    emulator,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}

export async function serveCommand(options: ServeOptions): Promise<number> {
  const checked = checkOptions('serve', () => {
    const config = checkConfig(
      gatewayConfigSchema,
      options.config ? readConfigFile(options.config) : {},
      options.config ?? 'defaults',
    );
    // --host and --port win over the file's host and port.
    return { config, port: parsePort(options.port, config.port) };
  });
  if ('exitCode' in checked) return checked.exitCode;
  const { config, port } = checked.value;
  const host = options.host ?? config.host;
  let serving: Serving;
  try {
    serving = await startServing(config, { host, port });
  } catch (error) {
    if (error instanceof GatewayConfigError || error instanceof InvalidOptionsError) {
      process.stderr.write(`gemwarden serve: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`gemwarden serve: cannot start on ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  const { url } = serving.gateway;
  process.stderr.write(`gemwarden gateway listening on ${url}\n`);
  process.stderr.write(
    `  Gemini-native: ${url}/v1beta/models/{model}:generateContent   OpenAI-compatible: ${url}/v1/chat/completions\n`,
  );
  process.stderr.write(`  health: ${url}/healthz   metrics: ${url}/metrics   status: ${url}/status\n`);
  const signal = await waitForShutdown();
  process.stderr.write(`gemwarden serve: ${signal}: draining in-flight requests…\n`);
  await serving.close();
  return 0;
}
