// Every knob of the default policy, as one zod schema: names, shapes, limits and defaults in one
// place. The client's options (client/options.ts) and the gateway's config (gateway/config.ts)
// extend it; the types below are derived from it, so a default or a limit is written once.
import { z } from 'zod';
import { integerAtLeast, numberAtLeast, parseSettings } from './settings-check.js';

export const backoffSchema = z
  .object({
    /** First retry waits up to this long (full jitter), doubling each time, ms. Default 500. */
    baseMs: numberAtLeast(0).default(500),
    /** Cap of one backoff delay, ms. Default 20 000. */
    maxMs: numberAtLeast(0).default(20_000),
  })
  .strict();

export const breakerSchema = z
  .object({
    /** Consecutive failures of a model (across calls) that open its circuit. Default 3. */
    failureThreshold: integerAtLeast(1).default(3),
    /** How long an open circuit skips the model before one probe is let through, ms. Default 30 000. */
    cooldownMs: numberAtLeast(0).default(30_000),
  })
  .strict();

export const retryBudgetSchema = z
  .object({
    /** Retries allowed as a share of first attempts in the window. Default 0.2. */
    ratio: numberAtLeast(0).default(0.2),
    /** Retries always allowed per window, however few requests there were. Default 10. */
    minPerWindow: numberAtLeast(0).default(10),
    /** The window, ms. Default 10 000. */
    windowMs: numberAtLeast(1).default(10_000),
  })
  .strict();

/**
 * Every time limit of a call, in milliseconds. Facts from Google: `X-Server-Timeout` (seconds) is the
 * Google API system parameter that tells the server how long it may take to finish the request
 * (Google Cloud, "System parameters", cloud.google.com/apis/docs/system-parameters); Google's own
 * Generative Language API client gives GenerateContent and StreamGenerateContent a 600 000 ms
 * deadline (`generative_service_client_config.json` of @google-ai/generativelanguage); Gemini's
 * troubleshooting page answers DEADLINE_EXCEEDED with "set a larger timeout"
 * (ai.google.dev/gemini-api/docs/troubleshooting). Thinking models can take minutes before their
 * first token, so no default here cuts a healthy answer.
 */
export const timeoutSchema = z
  .object({
    /**
     * Per-attempt limit of a non-streamed attempt, ms (the first rung of the ladder); also sent as
     * `X-Server-Timeout` (seconds). The clock starts when the request leaves on a connection, not while
     * it waits for a free one. Default 600 000 (Google's own client deadline for GenerateContent).
     */
    initialMs: numberAtLeast(1).default(600_000),
    /** The ladder multiplies the attempt limits by this after each timeout or 504. Default 2. */
    factor: numberAtLeast(1).default(2),
    /** No rung of the ladder is longer than this, ms. Default 1 800 000. */
    maxMs: numberAtLeast(1).default(1_800_000),
    /** Gemini refuses a server timeout under 10 s: X-Server-Timeout is never set below this, ms. Default 10 000. */
    minServerTimeoutMs: numberAtLeast(0).default(10_000),
    /**
     * A streamed attempt must deliver its first chunk within this, ms (laddered like `initialMs`).
     * A timeout before the first chunk is retried like any failed attempt. Default 300 000: a
     * thinking model sends nothing until it has thought.
     */
    firstChunkMs: numberAtLeast(1).default(300_000),
    /**
     * Longest silence between two chunks of a stream after the first, ms. An idle stream ends with a
     * GeminiError of kind `timeout` (blame `network`) carrying the partial text; with `streamRepair`
     * on it is repaired like any other break. Default 120 000.
     */
    idleMs: numberAtLeast(1).default(120_000),
    /**
     * Deadline of the whole call, ms: every attempt, backoff and pacing wait, and a stream to its
     * end. None by default (`deadlineMs` still bounds the time to get an answer started).
     */
    requestMs: numberAtLeast(1).optional(),
    /**
     * No attempt starts with less than this left before the deadline, ms: the call ends with its last
     * error (or a `timeout` error saying how much was left) instead of a request that cannot finish.
     * Default 250.
     */
    minAttemptMs: numberAtLeast(0).default(250),
  })
  .strict();

/** The policy's settings: every field optional on input, every default filled on output. */
export const policySchema = z.object({
  /** Attempts per call, the first included. Default 8. */
  maxAttempts: integerAtLeast(1).default(8),
  /**
   * Time to get an answer started, ms: no attempt or wait (backoff, quota, pacing, a free upstream
   * connection) goes past it, and a non-streamed attempt gets at most what is left. A stream after
   * its first chunk is bounded by `timeout.idleMs` and `timeout.requestMs` instead. Default 600 000,
   * the total deadline of Google's own Generative Language API client.
   */
  deadlineMs: numberAtLeast(1).default(600_000),
  /** Consecutive failures of one model within a call before moving to the next model. Default 2. */
  fallbackAfter: integerAtLeast(1).default(2),
  /**
   * A rate-limit wait longer than this moves to the next model when one can serve at once, ms.
   * Default 5 000 (scale it with compressed quota windows).
   */
  rateLimitFallbackAfterMs: numberAtLeast(0).default(5_000),
  /** Retries of a 500 on the same model before shrinking or falling back. Default 1. */
  internalRetries: integerAtLeast(0).default(1),
  /** Retries with a longer timeout on the same model before falling back. Default 1. */
  timeoutRetries: integerAtLeast(0).default(1),
  /** Fall back to the next model when an answer is blocked by a filter. Default false. */
  fallbackOnBlocked: z.boolean().default(false),
  /**
   * With `answerChecks: 'report'`: retry an unusable 200 answer that is not blocked or cut
   * (MALFORMED_FUNCTION_CALL, empty). Off by default: the caller gets the answer as it came.
   */
  retryUnusableAnswers: z.boolean().default(false),
  /** Backoff between retries when the server named no delay (full jitter). */
  backoff: backoffSchema.prefault({}),
  /** The circuit breaker per model. */
  breaker: breakerSchema.prefault({}),
  /** Retries at most `ratio` of recent first attempts plus `minPerWindow` per window; `false` turns it off. */
  retryBudget: z
    .union([z.literal(false), retryBudgetSchema], { error: 'must be false or { ratio, minPerWindow, windowMs }' })
    .prefault({}),
  /** Every time limit of a call (see timeoutSchema). */
  timeout: timeoutSchema.prefault({}),
});

export type BackoffOptions = z.output<typeof backoffSchema>;
export type BreakerOptions = z.output<typeof breakerSchema>;
export type RetryBudgetOptions = z.output<typeof retryBudgetSchema>;
export type TimeoutOptions = z.output<typeof timeoutSchema>;
/** The resolved policy: every field set. */
export type PolicyOptions = z.output<typeof policySchema>;
/** What a caller may give: any field, nested objects in part. */
export type PolicyOverrides = z.input<typeof policySchema>;

/** The defaults, read from the schema. */
export const POLICY_DEFAULTS: PolicyOptions = policySchema.parse({});

/**
 * The defaults with the caller's overrides (other members of `overrides` are ignored), checked:
 * throws an InvalidOptionsError naming every bad field, so a bad option fails when the client is
 * made instead of as a TypeError deep in a call.
 */
export function resolvePolicy(overrides: PolicyOverrides = {}, origin = 'createClient'): PolicyOptions {
  return parseSettings(policySchema, overrides, origin);
}

/** Checks a resolved policy again (resolvePolicy already does); kept for callers that build one by hand. */
export function validatePolicy(policy: PolicyOptions): PolicyOptions {
  return resolvePolicy(policy);
}
