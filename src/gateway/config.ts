// The gateway's configuration (JSON or YAML file, plus GEMINI_API_KEY / GEMINI_API_KEYS), with
// defaults in one place.
import { z } from 'zod';
import type { ClientOptions } from '../client/index.js';
import { TIERS } from '../wire/index.js';

const keySchema = z.union([
  z.string().min(1, 'a key must not be empty'),
  z
    .object({
      key: z.string().min(1, 'a key must not be empty'),
      project: z.string().min(1).optional(),
      tier: z.enum(TIERS).optional(),
    })
    .strict(),
]);

const limitSchema = z
  .object({
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    rpd: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
  })
  .strict();

export const gatewayConfigSchema = z
  .object({
    upstream: z.string().url('upstream must be a URL such as https://generativelanguage.googleapis.com').optional(),
    keys: z.array(keySchema).optional(),
    fallbacks: z.record(z.string(), z.array(z.string())).optional(),
    redis: z.string().url('redis must be a URL such as redis://127.0.0.1:6379').optional(),
    clients: z
      .array(
        z
          .object({ token: z.string().min(8, 'a client token needs at least 8 characters'), name: z.string().min(1) })
          .strict(),
      )
      .optional(),
    limits: z.record(z.string(), limitSchema).optional(),
    /**
     * The lengths of the quota minute and day, ms (see QuotaWindows): compress them only to match a
     * server that compresses them too (the emulator's `clock`). `clock` is their deprecated name.
     */
    quotaWindows: z
      .object({ minuteMs: z.number().positive().optional(), dayMs: z.number().positive().optional() })
      .strict()
      .optional(),
    clock: z
      .object({ minuteMs: z.number().positive().optional(), dayMs: z.number().positive().optional() })
      .strict()
      .optional(),
    /**
     * Upstream time limits, ms (see `TimeoutOptions` in policy/options.ts for the defaults and their
     * sources): `initialMs` per non-streamed attempt (sent as X-Server-Timeout), `firstChunkMs` for
     * a stream's first chunk, both raised by `factor` after each timeout or 504 up to `maxMs`;
     * `idleMs` the longest silence between two chunks; `requestMs` the whole call, a stream to its
     * end (none by default); `minAttemptMs` the least time left for which an attempt is started.
     * An attempt's clock starts when it leaves on a connection, not while it waits for one.
     */
    timeout: z
      .object({
        initialMs: z.number().int().positive().optional(),
        factor: z.number().min(1).optional(),
        maxMs: z.number().int().positive().optional(),
        minServerTimeoutMs: z.number().int().nonnegative().optional(),
        firstChunkMs: z.number().int().positive().optional(),
        idleMs: z.number().int().positive().optional(),
        requestMs: z.number().int().positive().optional(),
        minAttemptMs: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
    /**
     * Connections to the upstream at once (per origin); unlimited when absent. Requests beyond it
     * wait for a free connection, and that wait does not count against their attempt timeout.
     */
    upstreamConnections: z.number().int().positive().optional(),
    /**
     * Keys taken out (suspended, invalid, API disabled…) are probed again with a call that costs no
     * generation quota: first after `initialMs` (one minute), doubling up to `maxMs` (one hour).
     */
    keyProbe: z
      .object({
        initialMs: z.number().int().positive().optional(),
        maxMs: z.number().int().positive().optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** This gateway's name in shared (Redis) state and on the status page; default hostname:pid. */
    instanceId: z.string().min(1).max(200).optional(),
    /**
     * Time to get an answer started upstream, ms: retries, waits and the wait for a free connection
     * included (default 600 000). A stream after its first chunk is bounded by `timeout.idleMs` and
     * `timeout.requestMs` instead.
     */
    deadlineMs: z.number().int().positive().optional(),
    maxAttempts: z.number().int().positive().optional(),
    /** Largest request body accepted, bytes. */
    bodyLimitBytes: z.number().int().positive().optional(),
    /** Open client connections allowed at once; the next one is answered 503 with Retry-After and closed. */
    maxConnections: z.number().int().positive().optional(),
    /** Time allowed to receive a whole request from a client (headers and body), ms; then 408. */
    receiveTimeoutMs: z.number().int().positive().optional(),
    /** Time allowed for graceful shutdown before open streams are cut. */
    shutdownGraceMs: z.number().int().nonnegative().optional(),
    /** On the native route, a blocked answer (promptFeedback.blockReason, finishReason SAFETY…) tries the next model. */
    fallbackOnBlocked: z.boolean().optional(),
    /** On the native route, an answer that is not blocked or cut but unusable (MALFORMED_FUNCTION_CALL, empty) is sent again. */
    retryUnusableAnswers: z.boolean().optional(),
    /** Mid-stream repair for every stream (a request may choose with x-gemwarden-stream-repair). */
    streamRepair: z.enum(['off', 'restart', 'continue', 'auto']).optional(),
    /** A quota wait longer than this moves to the next model that can send at once (scale it with a compressed clock). */
    rateLimitFallbackAfterMs: z.number().int().nonnegative().optional(),
    /** Browser apps: allowed origins for CORS (off when absent). */
    cors: z
      .object({ origins: z.array(z.string().min(1)), maxAgeSeconds: z.number().int().nonnegative().optional() })
      .strict()
      .optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  })
  .strict();

export type GatewayConfig = z.input<typeof gatewayConfigSchema>;
export type CheckedGatewayConfig = z.output<typeof gatewayConfigSchema>;

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  upstream: 'https://generativelanguage.googleapis.com',
  /**
   * Gemini takes up to 100 MB of inline (base64) data in one request (Gemini API docs, "File input
   * methods", January 2026); the JSON around it needs a little more.
   */
  bodyLimitBytes: 128 * 1024 * 1024,
  shutdownGraceMs: 10_000,
  /** Below the usual 1024 file descriptors per process, leaving room for upstream connections. */
  maxConnections: 1000,
  receiveTimeoutMs: 120_000,
  logLevel: 'info',
} as const;

/** Keys from the environment: GEMINI_API_KEYS (comma-separated) and GEMINI_API_KEY. */
export function keysFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  const many = (env.GEMINI_API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const one = (env.GEMINI_API_KEY ?? '').trim();
  return [...new Set([...many, ...(one ? [one] : [])])];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The client options a config file describes, shared by the gateway and the CLI commands that call Gemini. */
export function clientOptionsFromConfig(
  config: CheckedGatewayConfig,
  keys: ClientOptions['keys'],
  upstream: string,
): ClientOptions {
  return {
    keys,
    baseUrl: upstream,
    ...(config.fallbacks ? { fallbacks: config.fallbacks } : {}),
    ...(config.deadlineMs !== undefined ? { deadlineMs: config.deadlineMs } : {}),
    ...(config.timeout
      ? {
          timeout: Object.fromEntries(Object.entries(config.timeout).filter(([, value]) => value !== undefined)),
        }
      : {}),
    ...(config.upstreamConnections !== undefined ? { upstreamConnections: config.upstreamConnections } : {}),
    ...(config.maxAttempts !== undefined ? { maxAttempts: config.maxAttempts } : {}),
    ...(config.fallbackOnBlocked !== undefined ? { fallbackOnBlocked: config.fallbackOnBlocked } : {}),
    ...(config.retryUnusableAnswers !== undefined ? { retryUnusableAnswers: config.retryUnusableAnswers } : {}),
    ...(config.rateLimitFallbackAfterMs !== undefined
      ? { rateLimitFallbackAfterMs: config.rateLimitFallbackAfterMs }
      : {}),
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.quotaWindows || config.clock ? { quotaWindows: { ...config.clock, ...config.quotaWindows } } : {}),
    ...(config.redis ? { redis: config.redis } : {}),
    ...(config.keyProbe ? { keyProbe: config.keyProbe } : {}),
    ...(config.instanceId ? { instanceId: config.instanceId } : {}),
    ...(config.streamRepair ? { streamRepair: config.streamRepair } : {}),
  };
}
