// `gemwarden serve`: runs the gateway until interrupted, then drains in-flight requests.
import { checkConfig, readConfigFile } from '../config/load-file.js';
import {
  GATEWAY_DEFAULTS,
  GatewayConfigError,
  gatewayConfigSchema,
  startGateway,
  type CheckedGatewayConfig,
} from '../gateway/index.js';
import { checkOptions, parsePort, waitForShutdown } from './process-helpers.js';

export interface ServeOptions {
  host?: string;
  port?: string;
  config?: string;
}

export async function serveCommand(options: ServeOptions): Promise<number> {
  const checked = checkOptions('serve', () => ({
    config: (options.config
      ? checkConfig(gatewayConfigSchema, readConfigFile(options.config), options.config)
      : {}) as CheckedGatewayConfig,
    port: parsePort(options.port, GATEWAY_DEFAULTS.port),
  }));
  if ('exitCode' in checked) return checked.exitCode;
  const { config, port } = checked.value;
  const host = options.host ?? GATEWAY_DEFAULTS.host;
  let gateway;
  try {
    gateway = await startGateway(config, { host, port });
  } catch (error) {
    if (error instanceof GatewayConfigError) {
      process.stderr.write(`gemwarden serve: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`gemwarden serve: cannot start on ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`gemwarden gateway listening on ${gateway.url}\n`);
  process.stderr.write(
    `  Gemini-native: ${gateway.url}/v1beta/models/{model}:generateContent   OpenAI-compatible: ${gateway.url}/v1/chat/completions\n`,
  );
  process.stderr.write(`  health: ${gateway.url}/healthz   metrics: ${gateway.url}/metrics\n`);
  const signal = await waitForShutdown();
  process.stderr.write(`gemwarden serve: ${signal}: draining in-flight requests…\n`);
  await gateway.close();
  return 0;
}
