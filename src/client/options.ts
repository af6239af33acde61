// Options of createClient(), with defaults in one place.
import type { ErrorKind } from '../errors/index.js';
import type { FleetStore } from '../fleet/index.js';
import type { Limits } from '../pacing/limits.js';
import type { Pacer } from '../pacing/pacer.js';
import type { QuotaWindows } from '../pacing/store.js';
import type { ShrinkHook } from '../pipeline/engine.js';
import type { StreamRepairMode } from '../pipeline/stream-repair/index.js';
import type { KeyProbeOverrides, KeySpec, PolicyOverrides, Rule } from '../policy/index.js';
import type { Clock } from '../time/index.js';
import type { FetchLike } from '../transport/http-transport.js';
import type { ApiVersion } from '../wire/index.js';

export interface ClientOptions extends PolicyOverrides {
  /** API keys: strings (each its own project) or { key, project } to group keys of one project. */
  keys: ReadonlyArray<string | KeySpec>;
  /** Gemini's base URL, or the emulator's / a proxy's. */
  baseUrl?: string;
  apiVersion?: ApiVersion;
  /** Model → the models to try after it, in order. */
  fallbacks?: Record<string, readonly string[]>;
  /** Replace the rule for any kind of failure. */
  rules?: Partial<Record<ErrorKind, Rule>>;
  /** Called on a 500 after a retry, or on input_too_large: return a smaller request, or undefined. */
  shrink?: ShrinkHook;
  /** Injected for tests and SDK adapters; without one a keep-alive undici pool is used. */
  fetch?: FetchLike;
  /**
   * Connections per upstream origin in the keep-alive pool (a positive integer); unlimited when
   * unset, as a plain fetch would be. A request waiting for a free connection is not timed as an
   * attempt (its timer starts when it is sent); only the call's deadline bounds the wait.
   */
  upstreamConnections?: number;
  /**
   * The time source (now, sleep, random, timer), to drive time in tests; the real clock by default.
   * The `{ minuteMs, dayMs }` form is the deprecated spelling of `quotaWindows`, accepted for one release.
   */
  clock?: Clock | QuotaWindows;
  /**
   * The lengths of the quota minute and day, ms (see QuotaWindows): compress them only against a
   * server that compresses them too (the emulator). They set pacing's windows and when a spent day
   * comes back (pacer parks and the `resetAt` of a per-day 429).
   */
  quotaWindows?: QuotaWindows;
  /** Client-side limits per model: { "gemini-2.5-pro": { rpm, tpm, rpd, concurrency } }. */
  limits?: Record<string, Limits>;
  /**
   * redis://… to share pacing and fleet state (keys out, parked and cooling pairs, circuits, models
   * dropped) between processes that use the same keys.
   */
  redis?: string;
  /** This process's name in shared state (shown as the writer of what it changes); default hostname:pid. */
  instanceId?: string;
  /** Where fleet state is shared; default a RedisFleetStore on `redis` (none without `redis`). */
  fleetStore?: FleetStore;
  /**
   * How keys taken out (suspended, invalid, API disabled…) are probed again with a call that costs
   * no generation quota: first after `initialMs` (60 000), doubling to `maxMs` (3 600 000), each
   * probe allowed `timeoutMs` (30 000). A healthy answer puts the key back (event `key-restored`).
   */
  keyProbe?: KeyProbeOverrides;
  /** Replaces the built-in pacer entirely. */
  pacer?: Pacer;
  /** The default of every call's `answerChecks` ('throw' unless set). */
  answerChecks?: AnswerChecks;
  /**
   * What a stream that breaks after its first chunk does: `off` (end with a typed error carrying
   * the partial text; the default), `restart`, `continue` or `auto` (see pipeline/stream-repair).
   */
  streamRepair?: StreamRepairMode;
}

/**
 * What generateContent does with a 200 answer that carries no usable answer (promptFeedback
 * blockReason; finishReason SAFETY, RECITATION, OTHER…; MAX_TOKENS with no text;
 * MALFORMED_FUNCTION_CALL; empty): 'throw' (the library's default) throws a GeminiError of kind
 * `blocked`, `truncated` or `malformed_response`; 'report' returns the answer exactly as Gemini
 * sent it, usage included, with `finding` naming what was wrong. With 'report' such answers are
 * retried only when `retryUnusableAnswers` is on and fall back only when `fallbackOnBlocked` is on;
 * when those remedies give up, the last answer is returned. A gateway uses 'report' so that a 200
 * stays a 200.
 */
export type AnswerChecks = 'throw' | 'report';

export const CLIENT_DEFAULTS = {
  baseUrl: 'https://generativelanguage.googleapis.com',
  apiVersion: 'v1beta' as ApiVersion,
};

export interface CallOptions {
  signal?: AbortSignal;
  /** Time to get this call's answer started, waits included, ms (overrides the client's deadlineMs). */
  deadlineMs?: number;
  /**
   * Epoch ms by which this whole call, a stream to its end, must be over (overrides
   * `timeout.requestMs`; a stream repair passes its call's value on).
   */
  endBy?: number;
  /** Models to try after this one (overrides the client's fallbacks for this call). */
  fallbacks?: readonly string[];
  shrink?: ShrinkHook;
  /** See `AnswerChecks`; overrides the client's default for this call. */
  answerChecks?: AnswerChecks;
  /** Mid-stream repair for this call (overrides the client's streamRepair). */
  streamRepair?: StreamRepairMode;
  /**
   * The API version this call is sent with (`v1`, `v1beta`, `v1alpha`; overrides the client's
   * `apiVersion`). The gateway passes the version its caller used, so `/v1/…` stays `/v1/…` upstream.
   */
  apiVersion?: ApiVersion;
}
