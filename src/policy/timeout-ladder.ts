// Per-attempt timeouts that grow after each timeout or 504: initial, ×factor, … up to a cap.
import type { TimeoutOptions } from './options.js';

export function attemptTimeout(level: number, options: TimeoutOptions, remainingMs: number): number {
  const ladder = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, level));
  return Math.max(1, Math.min(ladder, remainingMs));
}

/** The X-Server-Timeout header value (seconds) for an attempt timeout: never below Gemini's 10 s floor. */
export function serverTimeoutSeconds(timeoutMs: number, options: TimeoutOptions): number {
  return Math.ceil(Math.max(timeoutMs, options.minServerTimeoutMs) / 1000);
}
