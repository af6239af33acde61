// Per-attempt timeouts that grow after each timeout or 504: initial, ×factor, … up to a cap, never
// past what is left of the call's deadline.
import type { TimeoutOptions } from './options.js';

/** Rung `level` of a ladder that starts at `baseMs`, ms: capped by `maxMs` and by `remainingMs`, at least 1. */
function rung(baseMs: number, level: number, options: TimeoutOptions, remainingMs: number): number {
  const ladder = Math.min(options.maxMs, baseMs * options.factor ** Math.max(0, level));
  return Math.max(1, Math.min(ladder, remainingMs));
}

/** The client-side limit of a non-streamed attempt on rung `level`, ms (`initialMs`, ×factor …). */
export function attemptTimeout(level: number, options: TimeoutOptions, remainingMs: number): number {
  return rung(options.initialMs, level, options, remainingMs);
}

/** The limit for a streamed attempt's first chunk on rung `level`, ms (`firstChunkMs`, ×factor …). */
export function firstChunkTimeout(level: number, options: TimeoutOptions, remainingMs: number): number {
  return rung(options.firstChunkMs, level, options, remainingMs);
}

/** The X-Server-Timeout header value (seconds) for an attempt timeout: never below Gemini's 10 s floor. */
export function serverTimeoutSeconds(timeoutMs: number, options: TimeoutOptions): number {
  return Math.ceil(Math.max(timeoutMs, options.minServerTimeoutMs) / 1000);
}
