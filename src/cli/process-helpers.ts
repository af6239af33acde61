// Small process-level helpers shared by the long-running commands.
import { ConfigError } from '../config/load-file.js';

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port must be a number from 0 to 65535, got "${value}"`);
  return port;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForShutdown(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** A usage problem: the command prints it after its name and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a command's option checks; config and usage problems become "gemwarden CMD: message" on
 * stderr and exit code 2, anything else propagates.
 */
export function checkOptions<T>(command: string, read: () => T): { value: T } | { exitCode: number } {
  try {
    return { value: read() };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`gemwarden ${command}: ${error.message}\n`);
      return { exitCode: 2 };
    }
    throw error;
  }
}
