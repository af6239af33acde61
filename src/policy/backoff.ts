// Exponential backoff with full jitter: a random delay in [0, min(max, base·2^n)].
import type { BackoffOptions } from './options.js';

export function backoffDelay(retryIndex: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retryIndex));
  return Math.floor(random() * ceiling);
}

/** The server's delay wins over our backoff; both are capped by what is left of the deadline. */
export function retryDelay(
  serverDelayMs: number | undefined,
  retryIndex: number,
  options: BackoffOptions,
  random: () => number,
): number {
  return serverDelayMs !== undefined ? serverDelayMs : backoffDelay(retryIndex, options, random);
}
