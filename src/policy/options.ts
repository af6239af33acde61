// Every knob of the default policy, with its default in one place.

export interface BackoffOptions {
  /** First retry waits up to this long (full jitter), doubling each time. */
  baseMs: number;
  /** Cap of one backoff delay. */
  maxMs: number;
}

export interface BreakerOptions {
  /** Consecutive failures of a model (across calls) that open its circuit. */
  failureThreshold: number;
  /** How long an open circuit skips the model before one probe is let through. */
  cooldownMs: number;
}

export interface RetryBudgetOptions {
  /** Retries allowed as a share of first attempts in the window. */
  ratio: number;
  /** Retries always allowed per window, however few requests there were. */
  minPerWindow: number;
  windowMs: number;
}

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
export interface TimeoutOptions {
  /**
   * Per-attempt limit of a non-streamed attempt, ms (the first rung of the ladder); also sent as
   * `X-Server-Timeout` (seconds). The clock starts when the request leaves on a connection, not while
   * it waits for a free one. Default 600 000 (Google's own client deadline for GenerateContent).
   */
  initialMs: number;
  /** The ladder multiplies the attempt limits by this after each timeout or 504. Default 2. */
  factor: number;
  /** No rung of the ladder is longer than this, ms. Default 1 800 000. */
  maxMs: number;
  /** Gemini refuses a server timeout under 10 s: X-Server-Timeout is never set below this, ms. */
  minServerTimeoutMs: number;
  /**
   * A streamed attempt must deliver its first chunk within this, ms (laddered like `initialMs`).
   * A timeout before the first chunk is retried like any failed attempt. Default 300 000: a
   * thinking model sends nothing until it has thought.
   */
  firstChunkMs: number;
  /**
   * Longest silence between two chunks of a stream after the first, ms. An idle stream ends with a
   * GeminiError of kind `timeout` (blame `network`) carrying the partial text; with `streamRepair`
   * on it is repaired like any other break. Default 120 000.
   */
  idleMs: number;
  /**
   * Deadline of the whole call, ms: every attempt, backoff and pacing wait, and a stream to its
   * end. None by default (`deadlineMs` still bounds the time to get an answer started).
   */
  requestMs?: number;
  /**
   * No attempt starts with less than this left before the deadline, ms: the call ends with its last
   * error (or a `timeout` error saying how much was left) instead of a request that cannot finish.
   * Default 250.
   */
  minAttemptMs?: number;
}

export interface PolicyOptions {
  maxAttempts: number;
  /**
   * Time to get an answer started, ms: no attempt or wait (backoff, quota, pacing, a free upstream
   * connection) goes past it, and a non-streamed attempt gets at most what is left. A stream after
   * its first chunk is bounded by `timeout.idleMs` and `timeout.requestMs` instead. Default 600 000,
   * the total deadline of Google's own Generative Language API client.
   */
  deadlineMs: number;
  /** Consecutive failures of one model within a call before moving to the next model. */
  fallbackAfter: number;
  /** A rate-limit wait longer than this moves to the next model when one can serve at once. */
  rateLimitFallbackAfterMs: number;
  /** Retries of a 500 on the same model before shrinking or falling back. */
  internalRetries: number;
  /** Retries with a longer timeout on the same model before falling back. */
  timeoutRetries: number;
  /** Fall back to the next model when an answer is blocked by a filter. */
  fallbackOnBlocked: boolean;
  /**
   * With `answerChecks: 'report'`: retry an unusable 200 answer that is not blocked or cut
   * (MALFORMED_FUNCTION_CALL, empty). Off by default: the caller gets the answer as it came.
   */
  retryUnusableAnswers: boolean;
  backoff: BackoffOptions;
  breaker: BreakerOptions;
  retryBudget: RetryBudgetOptions | false;
  timeout: TimeoutOptions;
}

export const POLICY_DEFAULTS: PolicyOptions = {
  maxAttempts: 8,
  deadlineMs: 600_000,
  fallbackAfter: 2,
  rateLimitFallbackAfterMs: 5_000,
  internalRetries: 1,
  timeoutRetries: 1,
  fallbackOnBlocked: false,
  retryUnusableAnswers: false,
  backoff: { baseMs: 500, maxMs: 20_000 },
  breaker: { failureThreshold: 3, cooldownMs: 30_000 },
  retryBudget: { ratio: 0.2, minPerWindow: 10, windowMs: 10_000 },
  timeout: {
    initialMs: 600_000,
    factor: 2,
    maxMs: 1_800_000,
    minServerTimeoutMs: 10_000,
    firstChunkMs: 300_000,
    idleMs: 120_000,
    minAttemptMs: 250,
  },
};

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? Partial<T[K]> | (T[K] extends false ? false : never) : T[K];
};
export type PolicyOverrides = DeepPartial<PolicyOptions>;

/** The defaults with the caller's overrides, one level deep. */
export function resolvePolicy(overrides: PolicyOverrides = {}): PolicyOptions {
  const merge = <T extends object>(base: T, extra: unknown): T =>
    extra && typeof extra === 'object' ? { ...base, ...extra } : base;
  return {
    ...POLICY_DEFAULTS,
    ...Object.fromEntries(
      Object.entries(overrides).filter(([, value]) => value !== undefined && typeof value !== 'object'),
    ),
    backoff: merge(POLICY_DEFAULTS.backoff, overrides.backoff),
    breaker: merge(POLICY_DEFAULTS.breaker, overrides.breaker),
    retryBudget:
      overrides.retryBudget === false
        ? false
        : merge(POLICY_DEFAULTS.retryBudget as RetryBudgetOptions, overrides.retryBudget),
    timeout: merge(POLICY_DEFAULTS.timeout, overrides.timeout),
  };
}

/** A number option's allowed range, for the checks below. */
interface Range {
  min: number;
  integer?: boolean;
  /** May be absent (undefined). */
  optional?: boolean;
}

const RANGES: Record<string, Range> = {
  maxAttempts: { min: 1, integer: true },
  deadlineMs: { min: 1 },
  fallbackAfter: { min: 1, integer: true },
  rateLimitFallbackAfterMs: { min: 0 },
  internalRetries: { min: 0, integer: true },
  timeoutRetries: { min: 0, integer: true },
  'backoff.baseMs': { min: 0 },
  'backoff.maxMs': { min: 0 },
  'breaker.failureThreshold': { min: 1, integer: true },
  'breaker.cooldownMs': { min: 0 },
  'retryBudget.ratio': { min: 0 },
  'retryBudget.minPerWindow': { min: 0 },
  'retryBudget.windowMs': { min: 1 },
  'timeout.initialMs': { min: 1 },
  'timeout.factor': { min: 1 },
  'timeout.maxMs': { min: 1 },
  'timeout.minServerTimeoutMs': { min: 0 },
  'timeout.firstChunkMs': { min: 1 },
  'timeout.idleMs': { min: 1 },
  'timeout.requestMs': { min: 1, optional: true },
  'timeout.minAttemptMs': { min: 0, optional: true },
};

/**
 * Checks a resolved policy once, when the client is made, so a bad option fails there with its
 * name instead of as a TypeError deep in a call. Throws a TypeError naming every bad option.
 */
export function validatePolicy(policy: PolicyOptions): PolicyOptions {
  const problems: string[] = [];
  for (const [path, range] of Object.entries(RANGES)) {
    const [head, tail] = path.split('.') as [keyof PolicyOptions, string | undefined];
    const holder = policy[head];
    if (tail !== undefined && holder === false) continue;
    const value = tail === undefined ? holder : (holder as unknown as Record<string, unknown>)[tail];
    if (range.optional && value === undefined) continue;
    if (
      typeof value !== 'number' ||
      Number.isNaN(value) ||
      value < range.min ||
      (range.integer && !Number.isInteger(value))
    )
      problems.push(
        `${path} must be ${range.integer ? 'an integer' : 'a number'} ≥ ${range.min} (got ${String(value)})`,
      );
  }
  for (const flag of ['fallbackOnBlocked', 'retryUnusableAnswers'] as const)
    if (typeof policy[flag] !== 'boolean') problems.push(`${flag} must be true or false (got ${String(policy[flag])})`);
  if (problems.length > 0) throw new TypeError(`createClient: ${problems.join('; ')}`);
  return policy;
}
