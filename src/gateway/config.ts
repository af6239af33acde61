// The gateway's configuration (JSON or YAML file, plus GEMINI_API_KEY / GEMINI_API_KEYS): the
// settings it shares with the library (client/options.ts `sharedSettingsSchema`, the same names,
// shapes, limits and defaults) extended with what only a server has.
import { z } from 'zod';
import { CLIENT_DEFAULTS, quotaWindowsSchema, sharedSettingsSchema, type ClientOptions } from '../client/options.js';
import { integerAtLeast, parseSettings } from '../policy/settings-check.js';

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  upstream: CLIENT_DEFAULTS.baseUrl,
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

/** A field whose default the client fills, kept optional here: the parsed config says what was set. */
type AsGiven<S> = {
  [K in keyof S]: S[K] extends z.ZodDefault<infer T>
    ? z.ZodOptional<T>
    : S[K] extends z.ZodPrefault<infer T>
      ? z.ZodOptional<T>
      : S[K];
};

/**
 * The shared fields with their top-level defaults left to the client (which fills them from the same
 * schema), so that a parsed config tells a field set in the file from one left out: the
 * pass-through, for one, keeps its own attempt limit unless the file sets `maxAttempts`.
 */
function asGiven<S extends Record<string, z.ZodType>>(shape: S): AsGiven<S> {
  return Object.fromEntries(
    Object.entries(shape).map(([name, field]) => [
      name,
      field instanceof z.ZodDefault || field instanceof z.ZodPrefault
        ? (field.unwrap() as z.ZodType).optional()
        : field,
    ]),
  ) as AsGiven<S>;
}

export const gatewayConfigSchema = z
  .object({
    ...asGiven(sharedSettingsSchema.shape),
    /** Gemini's base URL, or the emulator's / a proxy's (the library's `baseUrl`). */
    upstream: z
      .string()
      .url('must be a URL such as https://generativelanguage.googleapis.com')
      .default(GATEWAY_DEFAULTS.upstream),
    /** Address to listen on (the CLI's --host wins). Beyond loopback, `clients` are required. */
    host: z.string().min(1).default(GATEWAY_DEFAULTS.host),
    /** Port to listen on; 0 picks a free one (the CLI's --port wins). */
    port: z.number().int().min(0).max(65535, 'must be a port from 0 to 65535').default(GATEWAY_DEFAULTS.port),
    /** Who may call the gateway: each presents its token (Authorization: Bearer, or x-goog-api-key). */
    clients: z
      .array(
        z
          .object({ token: z.string().min(8, 'a client token needs at least 8 characters'), name: z.string().min(1) })
          .strict(),
      )
      .optional(),
    /** Largest request body accepted, bytes. */
    bodyLimitBytes: integerAtLeast(1).default(GATEWAY_DEFAULTS.bodyLimitBytes),
    /** Open client connections allowed at once; the next one is answered 503 with Retry-After and closed. */
    maxConnections: integerAtLeast(1).default(GATEWAY_DEFAULTS.maxConnections),
    /** Time allowed to receive a whole request from a client (headers and body), ms; then 408. */
    receiveTimeoutMs: integerAtLeast(1).default(GATEWAY_DEFAULTS.receiveTimeoutMs),
    /** Time allowed for graceful shutdown before open streams are cut, ms. */
    shutdownGraceMs: integerAtLeast(0).default(GATEWAY_DEFAULTS.shutdownGraceMs),
    /** Browser apps: allowed origins for CORS (off when absent). */
    cors: z
      .object({ origins: z.array(z.string().min(1)), maxAgeSeconds: integerAtLeast(0).optional() })
      .strict()
      .optional(),
    /** Level of the JSON log lines. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(GATEWAY_DEFAULTS.logLevel),
    /**
     * @deprecated The old name of `quotaWindows`: still accepted, with a one-time warning, and
     * `quotaWindows` wins where both set a length.
     */
    clock: quotaWindowsSchema.optional(),
  })
  .strict();

/** A gateway config as a file or a caller gives it (every field optional). */
export type GatewayConfig = z.input<typeof gatewayConfigSchema>;
/** A gateway config after the check: the server's defaults filled, shared settings as given. */
export type CheckedGatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Checks a config given in code; throws an InvalidOptionsError (origin `gateway config`) naming every bad field. */
export function checkGatewayConfig(config: GatewayConfig): CheckedGatewayConfig {
  return parseSettings(gatewayConfigSchema, config, 'gateway config');
}

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

let clockAliasWarned = false;

/** Says once per process that `clock` in a config is the old name of `quotaWindows`. */
function warnClockAlias(): void {
  if (clockAliasWarned) return;
  clockAliasWarned = true;
  process.emitWarning('the config field "clock" is deprecated: name the quota minute and day "quotaWindows"', {
    type: 'DeprecationWarning',
    code: 'GEMWARDEN_CONFIG_CLOCK',
  });
}

/**
 * The client options a config describes, shared by the gateway and the CLI commands that call
 * Gemini: the shared settings as they are (nothing renamed or copied field by field), with the
 * keys and upstream the caller resolved (`upstream` is the library's `baseUrl`) and the deprecated
 * `clock` read as `quotaWindows`.
 */
export function clientOptionsFromConfig(
  config: CheckedGatewayConfig,
  keys: ClientOptions['keys'],
  upstream: string,
): ClientOptions {
  const shared = Object.fromEntries(
    Object.keys(sharedSettingsSchema.shape)
      .map((name) => [name, config[name as keyof CheckedGatewayConfig]] as const)
      .filter(([, value]) => value !== undefined),
  ) as Omit<ClientOptions, 'keys'>;
  if (config.clock) warnClockAlias();
  const quotaWindows = config.clock ? { ...config.clock, ...config.quotaWindows } : config.quotaWindows;
  return { ...shared, keys, baseUrl: upstream, ...(quotaWindows ? { quotaWindows } : {}) };
}
