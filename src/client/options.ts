// Options of createClient(). What a config file can hold as well is one zod schema, shared with the
// gateway's config (gateway/config.ts extends `sharedSettingsSchema`): names, shapes, limits and
// defaults are written once, the option types are derived from it, and createClient checks its
// options with it when the client is made. Members only code can give (clock, fetch, hooks, store
// instances) are plain TypeScript below, checked for their shape in the same pass.
import { z } from 'zod';
import type { ErrorKind } from '../errors/index.js';
import type { FleetStore } from '../fleet/index.js';
import type { Pacer } from '../pacing/pacer.js';
import type { ShrinkHook } from '../pipeline/engine.js';
import type { StreamRepairMode } from '../pipeline/stream-repair/index.js';
import { policySchema, type Rule } from '../policy/index.js';
import { integerAtLeast, parseSettings, positiveNumber } from '../policy/settings-check.js';
import type { Clock } from '../time/index.js';
import type { FetchLike } from '../transport/http-transport.js';
import { TIERS, type ApiVersion } from '../wire/index.js';

export const CLIENT_DEFAULTS = {
  baseUrl: 'https://generativelanguage.googleapis.com',
  apiVersion: 'v1beta' as ApiVersion,
};

/** The modes of mid-stream repair (see pipeline/stream-repair). */
export const STREAM_REPAIR_MODES = [
  'off',
  'restart',
  'continue',
  'auto',
] as const satisfies readonly StreamRepairMode[];

/** An http(s) base URL: Gemini's, the emulator's or a proxy's. */
const baseUrlSchema = z.string().url('must be a URL such as https://generativelanguage.googleapis.com');

/**
 * An API key: a string (its own project) or `{ key, project, tier }`, to group keys of one project
 * (Gemini counts quota per project) and to name its usage tier (`free`, `tier1`, `tier2`, `tier3`),
 * whose documented limits pace it when `limits` names none.
 */
export const keySchema = z.union(
  [
    z.string().min(1, 'must not be empty'),
    z
      .object({
        key: z.string().min(1, 'must not be empty'),
        project: z.string().min(1).optional(),
        tier: z.enum(TIERS).optional(),
      })
      .strict(),
  ],
  { error: 'must be a key (a string) or { key, project?, tier? }' },
);

/** Client-side limits of one model (Gemini's rate limits, ai.google.dev/gemini-api/docs/rate-limits). */
export const limitsSchema = z
  .object({
    /** Requests per minute. */
    rpm: integerAtLeast(1).optional(),
    /** Input tokens per minute. */
    tpm: integerAtLeast(1).optional(),
    /** Requests per day (the day ends at midnight Pacific). */
    rpd: integerAtLeast(1).optional(),
    /** Requests in flight at once (per process). */
    concurrency: integerAtLeast(1).optional(),
  })
  .strict();

/**
 * The lengths of the quota minute and day, ms (real: 60 000 and 86 400 000). Compress them only to
 * match a server that compresses them too (the emulator's `clock`).
 */
export const quotaWindowsSchema = z
  .object({
    minuteMs: positiveNumber().optional(),
    dayMs: positiveNumber().optional(),
  })
  .strict();

/**
 * How keys taken out (suspended, invalid, API disabled…) are probed again with a call that costs no
 * generation quota (defaults in KEY_PROBE_DEFAULTS, policy/key-pool.ts).
 */
export const keyProbeSchema = z
  .object({
    /** First probe after the key left the pool, ms (default 60 000). */
    initialMs: integerAtLeast(1).optional(),
    /** Longest interval between two probes, ms; the interval doubles up to it (default 3 600 000). */
    maxMs: integerAtLeast(1).optional(),
    /** Time one probe call may take, ms (default 30 000). */
    timeoutMs: integerAtLeast(1).optional(),
  })
  .strict();

/**
 * The settings the library and the gateway share: the policy (policy/options.ts) and what the client
 * is made with. The gateway's config is this schema extended with what only a server has.
 */
export const sharedSettingsSchema = policySchema.extend({
  /** API keys: strings (each its own project) or { key, project, tier } to group keys of one project. */
  keys: z.array(keySchema).readonly().optional(),
  /** Model → the models to try after it, in order. */
  fallbacks: z.record(z.string().min(1), z.array(z.string().min(1)).readonly()).optional(),
  /** Client-side limits per model: { "gemini-2.5-pro": { rpm, tpm, rpd, concurrency } }. */
  limits: z.record(z.string().min(1), limitsSchema).optional(),
  /**
   * The lengths of the quota minute and day, ms: they set pacing's windows and when a spent day
   * comes back (pacer parks and the `resetAt` of a per-day 429). Real ones by default.
   */
  quotaWindows: quotaWindowsSchema.optional(),
  /**
   * redis://… to share pacing and fleet state (keys out, parked and cooling pairs, circuits, models
   * dropped) between processes that use the same keys.
   */
  redis: z.string().url('must be a URL such as redis://127.0.0.1:6379').optional(),
  /**
   * How keys taken out are probed again: first after `initialMs` (60 000), doubling to `maxMs`
   * (3 600 000), each probe allowed `timeoutMs` (30 000). A healthy answer puts the key back.
   */
  keyProbe: keyProbeSchema.optional(),
  /**
   * Connections per upstream origin in the keep-alive pool; unlimited when unset, as a plain fetch
   * would be. A request waiting for a free connection is not timed as an attempt (its timer starts
   * when it is sent); only the call's deadline bounds the wait.
   */
  upstreamConnections: integerAtLeast(1, 'the upstream connections at once per origin').optional(),
  /** This process's name in shared state and on the status page; default hostname:pid. */
  instanceId: z.string().min(1).max(200).optional(),
  /**
   * What a stream that breaks after its first chunk does: `off` (end with a typed error carrying
   * the partial text; the default), `restart`, `continue` or `auto` (see pipeline/stream-repair).
   */
  streamRepair: z.enum(STREAM_REPAIR_MODES).optional(),
});

/** The settings of createClient(): the shared ones, with keys required, and the library's own. */
export const clientSettingsSchema = sharedSettingsSchema.extend({
  /** API keys: strings (each its own project) or { key, project, tier } to group keys of one project. */
  keys: z.array(keySchema).readonly(),
  /** Gemini's base URL, or the emulator's / a proxy's (the gateway's `upstream`). */
  baseUrl: baseUrlSchema.default(CLIENT_DEFAULTS.baseUrl),
  /** The API version calls are sent with, unless a call names its own. Default v1beta. */
  apiVersion: z.enum(['v1', 'v1beta', 'v1alpha']).default(CLIENT_DEFAULTS.apiVersion),
  /** The default of every call's `answerChecks` (see AnswerChecks). Default 'throw'. */
  answerChecks: z.enum(['throw', 'report']).default('throw'),
});

/** The shared settings as a config file or createClient gives them (every field optional). */
export type SharedSettings = z.input<typeof sharedSettingsSchema>;
/** The settings of createClient(), as given. */
export type ClientSettings = z.input<typeof clientSettingsSchema>;

/** What only code can give: functions, hooks and instances. */
export interface ClientRuntimeOptions {
  /** Replace the rule for any kind of failure. */
  rules?: Partial<Record<ErrorKind, Rule>>;
  /** Called on a 500 after a retry, or on input_too_large: return a smaller request, or undefined. */
  shrink?: ShrinkHook;
  /** Injected for tests and SDK adapters; without one a keep-alive undici pool is used. */
  fetch?: FetchLike;
  /**
   * The time source (now, sleep, random, timer), to drive time in tests; the real clock by default.
   * Only the time source: the lengths of the quota minute and day are `quotaWindows`.
   */
  clock?: Clock;
  /** Where fleet state is shared; default a RedisFleetStore on `redis` (none without `redis`). */
  fleetStore?: FleetStore;
  /** Replaces the built-in pacer entirely. */
  pacer?: Pacer;
}

/** Options of createClient(): the settings (clientSettingsSchema) and the runtime members. */
export type ClientOptions = ClientSettings & ClientRuntimeOptions;

/** Options after the check: every default filled, the runtime members as given. */
export type CheckedClientOptions = z.output<typeof clientSettingsSchema> & ClientRuntimeOptions;

const isFunction = (value: unknown) => typeof value === 'function';
const isObject = (value: unknown) => typeof value === 'object' && value !== null;

/** The runtime members, checked for their shape only. */
const runtimeSchema = z.object({
  rules: z
    .record(z.string(), z.custom<Rule>(isFunction, 'must be a function (failure, context) => decision'))
    .optional(),
  shrink: z.custom<ShrinkHook>(isFunction, 'must be a function (request) => smaller request').optional(),
  fetch: z.custom<FetchLike>(isFunction, 'must be a function like fetch').optional(),
  clock: z
    .custom<Clock>(
      (value) => isObject(value) && isFunction((value as Partial<Record<string, unknown>>).now),
      'must be a Clock (now, sleep, random, timer); the lengths of the quota minute and day go in quotaWindows',
    )
    .optional(),
  fleetStore: z.custom<FleetStore>(isObject, 'must be a FleetStore').optional(),
  pacer: z
    .custom<Pacer>(
      (value) => isObject(value) && isFunction((value as Partial<Record<string, unknown>>).reserve),
      'must be a Pacer',
    )
    .optional(),
});

/** Every member createClient knows; any other is refused (a misspelt option would do nothing). */
const clientOptionsSchema = clientSettingsSchema.extend(runtimeSchema.shape).strict();

/**
 * createClient's options checked and completed: throws an InvalidOptionsError naming every bad field
 * (`createClient: maxAttempts must be an integer ≥ 1 (got 0)`, `maxAtempts is not a setting`).
 */
export function checkClientOptions(options: ClientOptions): CheckedClientOptions {
  return parseSettings(clientOptionsSchema, options, 'createClient') as CheckedClientOptions;
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
  /**
   * The caller's own JSON text of `request` (the gateway passes the body its client sent), so
   * that `JSON.parse(requestText)` is the request. An attempt that sends the request unchanged (the
   * requested model, not shrunk, field names already as the wire types spell them) sends this text
   * as is rather than a re-serialisation: cheaper, and integers beyond 2^53, key order and fields
   * the wire types do not know reach Gemini byte-identical. Every other attempt serialises its
   * request. Used by generateContent and generateContentStream.
   */
  requestText?: string | undefined;
}
