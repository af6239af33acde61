// The set-up most socket tests share, in one place: an emulator (or another upstream), a gateway in
// front of it, optionally a real redis-server, SDK clients pointed at the right URL, and closing in
// the reverse order of starting. A fix to that set-up is made here once.
import { GoogleGenAI, type GoogleGenAIOptions } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import {
  startEmulator,
  type EmulatorConfig,
  type EmulatorHandle,
  type EmulatorOptions,
} from '../../src/emulator/index.js';
import {
  gatewayConfigSchema,
  startGateway,
  type GatewayConfig,
  type GatewayHandle,
  type GatewayOptions,
} from '../../src/gateway/index.js';
import { startRedis, type RedisServer } from './redis.js';

/** The upstream key a stack's gateway sends when the test names none (the emulator takes any key by default). */
export const STACK_KEY = 'stack-upstream-key-0001';

/** Any server a stack may put behind its gateway instead of the emulator (a stand-in, a fake OpenAI upstream). */
export interface StackUpstream {
  url: string;
  close(): Promise<void>;
}

/** What a gateway config is built from: the upstream's URL and, with `redis: true`, the Redis URL. */
export interface StackUrls {
  upstream: string;
  redis?: string;
}

/**
 * What to start. Every part is optional: `{}` is an emulator with its defaults and a gateway with one
 * key ({@link STACK_KEY}) in front of it.
 */
export interface StackOptions {
  /** The emulator's config (`startEmulator`'s first argument). Ignored when `upstream` is given. */
  emulator?: EmulatorConfig;
  /** The emulator's socket and clock options (e.g. a FakeClock). */
  emulatorOptions?: EmulatorOptions;
  /**
   * Another upstream to put behind the gateway instead of the emulator: a URL the test owns (not
   * closed here), or a server started by the caller (or by the function) and closed by the stack,
   * after the gateway.
   */
  upstream?: string | StackUpstream | (() => Promise<StackUpstream>);
  /**
   * The gateway's config, merged over `{ upstream, keys: [STACK_KEY], redis }` and checked with
   * `gatewayConfigSchema`; a function receives the URLs. `false`: no gateway (`url` is the upstream's).
   */
  gateway?: GatewayConfig | ((urls: StackUrls) => GatewayConfig) | false;
  /** `startGateway`'s options, merged over `{ port: 0, logger: false }`. */
  gatewayOptions?: GatewayOptions;
  /** Starts a real redis-server on a free loopback port; the gateway config gets its URL as `redis`. */
  redis?: boolean;
}

/** SDK client options a test may change: the key it presents, the API version, the base URL. */
export interface GenaiClientOptions {
  apiKey?: string;
  apiVersion?: string;
  /** The base URL (the stack's `url` by default). */
  baseUrl?: string;
}

/** OpenAI client options a test may change; `maxRetries` is 0 so tests see the gateway's own answer. */
export interface OpenAiClientOptions {
  apiKey?: string;
  /** Full base URL; by default the stack's `url` + `/v1`. */
  baseURL?: string;
  maxRetries?: number;
}

/** A started stack. Members that were not started throw a clear error when read. */
export interface Stack {
  /** The emulator (throws when the stack was given another `upstream`). */
  readonly emulator: EmulatorHandle;
  /** The gateway (throws with `gateway: false`). */
  readonly gateway: GatewayHandle;
  /** The redis-server (throws unless started with `redis: true`). */
  readonly redis: RedisServer;
  /** The upstream's base URL (the emulator's, or the given upstream's). */
  readonly upstreamUrl: string;
  /** Where clients go: the gateway's base URL, or the upstream's with `gateway: false`. */
  readonly url: string;
  /** A @google/genai client on `url` (apiKey 'client-token' unless given). */
  genai(options?: GenaiClientOptions): GoogleGenAI;
  /** An openai client on `url`/v1 (apiKey 'client-token', no SDK retries, unless given). */
  openai(options?: OpenAiClientOptions): OpenAI;
  /** Starts one more gateway on the same upstream (and Redis), closed with the stack before its first one. */
  addGateway(config?: GatewayConfig, options?: GatewayOptions): Promise<GatewayHandle>;
  /** Registers something the test started, closed with the stack before the stack's own parts. */
  defer(close: () => unknown): void;
  /** Closes everything in the reverse order of starting; safe to call twice. */
  close(): Promise<void>;
}

/** Makes `handle.close()` run once: a test may close a part itself (to restart it) before the stack does. */
function closeOnce<T extends { close(): Promise<void> }>(handle: T): T {
  const close = handle.close.bind(handle);
  let closing: Promise<void> | undefined;
  handle.close = () => (closing ??= close());
  return handle;
}

function missing(part: string, hint: string): never {
  throw new Error(`this test stack has no ${part}: ${hint}`);
}

async function openStack(options: StackOptions): Promise<Stack> {
  // Closers in start order; close() runs them backwards.
  const closers: Array<() => unknown> = [];
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      const errors: unknown[] = [];
      for (const closer of closers.splice(0).reverse()) {
        try {
          await closer();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    })());

  try {
    let redis: RedisServer | undefined;
    if (options.redis) {
      const started = await startRedis();
      redis = started;
      closers.push(() => started.stop());
    }
    let emulator: EmulatorHandle | undefined;
    let upstream: StackUpstream;
    if (typeof options.upstream === 'string') {
      upstream = { url: options.upstream, close: async () => undefined };
    } else if (options.upstream) {
      const given = typeof options.upstream === 'function' ? await options.upstream() : options.upstream;
      closers.push(() => given.close());
      upstream = given;
    } else {
      const started = closeOnce(await startEmulator(options.emulator ?? {}, options.emulatorOptions ?? {}));
      closers.push(() => started.close());
      emulator = started;
      upstream = started;
    }
    const urls: StackUrls = redis ? { upstream: upstream.url, redis: redis.url } : { upstream: upstream.url };
    const gatewayConfig = (config: GatewayConfig): GatewayConfig => ({
      upstream: urls.upstream,
      keys: [STACK_KEY],
      ...(urls.redis === undefined ? {} : { redis: urls.redis }),
      ...config,
    });
    const launch = async (config: GatewayConfig, gatewayOptions: GatewayOptions = {}): Promise<GatewayHandle> => {
      const gateway = closeOnce(
        await startGateway(gatewayConfigSchema.parse(gatewayConfig(config)), {
          port: 0,
          logger: false,
          ...options.gatewayOptions,
          ...gatewayOptions,
        }),
      );
      closers.push(() => gateway.close());
      return gateway;
    };
    const wanted = options.gateway ?? {};
    const gateway = wanted === false ? undefined : await launch(typeof wanted === 'function' ? wanted(urls) : wanted);
    const url = gateway?.url ?? upstream.url;

    return {
      get emulator() {
        return emulator ?? missing('emulator', 'it was started with another upstream');
      },
      get gateway() {
        return gateway ?? missing('gateway', 'it was started with gateway: false');
      },
      get redis() {
        return redis ?? missing('redis-server', 'start it with redis: true');
      },
      upstreamUrl: upstream.url,
      url,
      genai: ({ apiKey = 'client-token', apiVersion, baseUrl = url } = {}) => {
        const sdkOptions: GoogleGenAIOptions = { apiKey, httpOptions: { baseUrl } };
        if (apiVersion !== undefined) sdkOptions.apiVersion = apiVersion;
        return new GoogleGenAI(sdkOptions);
      },
      openai: ({ apiKey = 'client-token', baseURL = `${url}/v1`, maxRetries = 0 } = {}) =>
        new OpenAI({ apiKey, baseURL, maxRetries }),
      addGateway: (config = {}, gatewayOptions = {}) => launch(config, gatewayOptions),
      defer: (closer) => {
        closers.push(closer);
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * Starts a stack inside a test and closes it when the test finishes (pass or fail), after the
 * file's own afterEach hooks. Throws when called outside a running test: use {@link useStack} for a
 * stack shared by a file or a describe block. Errors: whatever startRedis, startEmulator or
 * startGateway throw (an invalid config, no redis-server), after closing what had started.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stack = await openStack(options);
  try {
    onTestFinished(() => stack.close());
  } catch (error) {
    await stack.close();
    throw new Error(`startStack() runs inside a test; use useStack() in a file or describe block (${String(error)})`);
  }
  return stack;
}

/**
 * A stack shared by the tests of the file or describe block it is called in: started in a beforeAll
 * hook, closed in an afterAll hook. Its members are read inside tests (reading them before the
 * beforeAll hook ran throws). Options may be a function, evaluated when the hook runs.
 */
export function useStack(options: StackOptions | (() => StackOptions) = {}): Stack {
  let current: Stack | undefined;
  beforeAll(async () => {
    current = await openStack(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const started = (): Stack => current ?? missing('started parts yet', 'read it inside a test or a later hook');
  return {
    get emulator() {
      return started().emulator;
    },
    get gateway() {
      return started().gateway;
    },
    get redis() {
      return started().redis;
    },
    get upstreamUrl() {
      return started().upstreamUrl;
    },
    get url() {
      return started().url;
    },
    genai: (clientOptions) => started().genai(clientOptions),
    openai: (clientOptions) => started().openai(clientOptions),
    addGateway: (config, gatewayOptions) => started().addGateway(config, gatewayOptions),
    defer: (closer) => started().defer(closer),
    close: () => current?.close() ?? Promise.resolve(),
  };
}

/**
 * The emulator alone, started inside a test and closed when it finishes: `startStack` with
 * `gateway: false`, for tests that talk to the emulator directly or through the library client.
 */
export async function startTestEmulator(
  config: EmulatorConfig = {},
  options: EmulatorOptions = {},
): Promise<EmulatorHandle> {
  return (await startStack({ emulator: config, emulatorOptions: options, gateway: false })).emulator;
}
