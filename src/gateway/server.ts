// `gemwarden serve`: a Gemini-compatible and OpenAI-compatible endpoint in front of the resilient
// client. Routes are Fetch-style handlers in their own modules, mounted on the router below; this
// module composes them with auth, metrics, one log line per request, and the server's lifecycle.
// Starting the built-in emulator when there is no key is the serve command's business.
import pino, { type Logger } from 'pino';
import { createClient, type GeminiClient } from '../client/index.js';
import { keyHint, redactSecrets } from '../errors/index.js';
import { parseGeminiPath } from '../wire/index.js';
import { realClock } from '../time/index.js';
import { authenticate, presentedToken } from './auth.js';
import {
  checkGatewayConfig,
  clientOptionsFromConfig,
  GATEWAY_DEFAULTS,
  isLoopback,
  keysFromEnvironment,
  type CheckedGatewayConfig,
  type GatewayConfig,
} from './config.js';
import { geminiErrorText, OPEN_PATHS, rejectRequest, type GatewayContext } from './context.js';
import { createGeminiHandler, isGeminiModelPath, modelCallAnswerer } from './gemini-routes.js';
import { createModelCallEdge, type RequestRecorder } from './model-call-edge.js';
import { serveFetch, type NodeExchange } from './http-server.js';
import { GatewayMetrics } from './metrics.js';
import { createEmbeddingsHandler } from './openai/embeddings-handler.js';
import {
  createModelHandler,
  isOpenAiModelRequest,
  isUnservedOpenAiPath,
  unservedOpenAiHandler,
} from './openai/models-handler.js';
import { createChatCompletionsHandler } from './openai-routes.js';
import { opsRoutes } from './ops-routes.js';
import {
  attachLiveProxy,
  createPassThroughHandler,
  isNativeModelMethod,
  passThroughPath,
  resourceOwners,
  withCors,
} from './passthrough/index.js';
import { matchRoute, type RequestContext, type Route } from './router.js';
import { StatusCollector } from './status.js';

export interface GatewayOptions {
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** false silences logs (tests); otherwise JSON logs at the config's level. */
  logger?: boolean;
  /** Where JSON logs go (standard output by default). */
  logDestination?: NodeJS.WritableStream;
  /** How /readyz and /status name the upstream (e.g. "built-in emulator"); the upstream URL by default. */
  upstreamLabel?: string;
}

/** A running gateway. */
export interface GatewayHandle {
  /** Base URL clients use, e.g. http://127.0.0.1:8787. */
  url: string;
  port: number;
  /**
   * The whole gateway as one Fetch handler, for in-process use and tests: the same routing, auth,
   * metrics and logs as over HTTP, without a socket.
   */
  fetch(request: Request): Promise<Response>;
  client: GeminiClient;
  metrics: GatewayMetrics;
  /** Graceful shutdown: drains in-flight requests for up to the config's `shutdownGraceMs`. */
  close(): Promise<void>;
}

/** A configuration the gateway cannot start with (exit code 2 in the CLI). */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
}

/** The fields of `config` that are set (exactOptionalPropertyTypes forbids passing undefined ones on). */
function pick<T extends object, K extends keyof T>(config: T, ...names: K[]): { [P in K]?: NonNullable<T[P]> } {
  return Object.fromEntries(names.filter((name) => config[name] !== undefined).map((name) => [name, config[name]])) as {
    [P in K]?: NonNullable<T[P]>;
  };
}

/** A path and its query (without `?`) with any `key` parameter shown as its hint only. */
function redactedPath(pathname: string, search: string, secrets: readonly string[]): string {
  if (search === '') return redactSecrets(pathname, secrets);
  const query = new URLSearchParams(search);
  const key = query.get('key');
  if (key !== null) query.set('key', keyHint(key));
  const redacted = query.toString();
  return redactSecrets(`${pathname}${redacted ? `?${redacted}` : ''}`, secrets);
}

function makeLogger(config: CheckedGatewayConfig, options: GatewayOptions): Logger {
  if (options.logger === false) return pino({ enabled: false });
  const level = config.logLevel ?? GATEWAY_DEFAULTS.logLevel;
  return options.logDestination ? pino({ level }, options.logDestination) : pino({ level });
}

function logClientEvents(client: GeminiClient, log: Logger): void {
  // What gemwarden did about each failure, with key hints only.
  client.on('attempt-failed', (event) =>
    log.warn({ event: 'attempt-failed', ...event }, `${event.model}: ${event.kind} → ${event.action}`),
  );
  client.on('model-fallback', (event) =>
    log.info({ event: 'model-fallback', ...event }, `fell back from ${event.from} to ${event.to}`),
  );
  client.on('key-disabled', (event) =>
    log.warn({ event: 'key-disabled', ...event }, `key ${event.keyHint} taken out: ${event.reason}`),
  );
  client.on('key-restored', (event) =>
    log.info({ event: 'key-restored', ...event }, `key ${event.keyHint} is back after a healthy probe`),
  );
  client.on('key-parked', (event) =>
    log.warn(
      {
        event: 'key-parked',
        ...event,
        until: Number.isFinite(event.until) ? new Date(event.until).toISOString() : 'process end',
      },
      `${event.project}/${event.model} parked: ${event.reason}`,
    ),
  );
  // Warnings, not errors: the gateway goes on serving (state per process) and says when Redis is back.
  client.on('pacing-degraded', (event) => log.warn({ event: 'pacing-degraded' }, event.reason));
  client.on('fleet-state', (event) =>
    event.state === 'local'
      ? log.warn({ event: 'fleet-state', state: event.state }, event.reason ?? 'fleet state kept per process')
      : log.info({ event: 'fleet-state', state: event.state }, 'fleet state shared through Redis'),
  );
  client.on('pacing-restored', () => log.info({ event: 'pacing-restored' }, 'Redis is back: pacing is shared again'));
  client.on('limit-learned', (event) =>
    log.info(
      { event: 'limit-learned', ...event },
      `learned ${event.window} ${event.limit} for ${event.project}/${event.model}`,
    ),
  );
  client.on('circuit-opened', (event) =>
    log.warn(
      { event: 'circuit-opened', model: event.model, until: new Date(event.until).toISOString() },
      `circuit opened for ${event.model}`,
    ),
  );
}

/**
 * Starts the gateway on `options.host:options.port` (else the config's host and port, 127.0.0.1:8787
 * by default) against the config's upstream with its keys (or GEMINI_API_KEY/GEMINI_API_KEYS from
 * `options.env`).
 * Throws GatewayConfigError when there is no key or when a non-loopback bind has no client tokens,
 * and an InvalidOptionsError naming every bad field of a config that fails its schema.
 */
export async function startGateway(given: GatewayConfig, options: GatewayOptions = {}): Promise<GatewayHandle> {
  const config = checkGatewayConfig(given);
  const host = options.host ?? config.host;
  const tokens = config.clients ?? [];
  if (!isLoopback(host) && tokens.length === 0) {
    throw new GatewayConfigError(
      `binding to ${host} (not loopback) needs client tokens: add "clients": [{"token": "…", "name": "…"}] to the config`,
    );
  }
  let keys = config.keys ?? [];
  if (keys.length === 0) keys = keysFromEnvironment(options.env ?? process.env);
  if (keys.length === 0)
    throw new GatewayConfigError(
      'no Gemini API key: set GEMINI_API_KEY or GEMINI_API_KEYS, or add "keys" to the config',
    );
  const upstream = config.upstream ?? GATEWAY_DEFAULTS.upstream;
  const upstreamLabel = options.upstreamLabel ?? upstream;

  const client = createClient(clientOptionsFromConfig(config, keys, upstream));
  const configuredModels = [
    ...Object.entries(config.fallbacks ?? {}).flatMap(([model, chain]) => [model, ...chain]),
    ...Object.keys(config.limits ?? {}),
  ];
  const metrics = new GatewayMetrics(client, configuredModels);
  const status = new StatusCollector(client, upstreamLabel);
  const bodyLimitBytes = config.bodyLimitBytes ?? GATEWAY_DEFAULTS.bodyLimitBytes;
  const secrets = keys.map((key) => (typeof key === 'string' ? key : key.key));
  const log = makeLogger(config, options);
  logClientEvents(client, log);

  const context: GatewayContext = {
    client,
    metrics,
    tokens,
    bodyLimitBytes,
    streamFailed: (error) => {
      // The engine's request-failed event covers failures before the first chunk; these come after.
      metrics.failures.inc({ kind: error.kind });
      status.streamFailed(error);
    },
  };
  const gemini = createGeminiHandler(context);
  const owners = resourceOwners(config.redis, () => realClock.now());
  const quotaDayMs = config.quotaWindows?.dayMs ?? config.clock?.dayMs;
  const passThrough = {
    client,
    upstream,
    owners,
    clock: realClock,
    ...pick(config, 'fallbacks', 'maxAttempts'),
    ...(quotaDayMs !== undefined ? { quotaDayMs } : {}),
  };
  const passThroughHandler = createPassThroughHandler({ ...passThrough, native: gemini });
  // The gateway's routes, first match wins. Mount new handlers here with one line each.
  const routes: Route[] = [
    ...opsRoutes({ client, metrics, status, upstreamLabel, configuredModels }),
    { name: 'openai', methods: ['POST'], path: '/v1/chat/completions', handler: createChatCompletionsHandler(context) },
    { name: 'openai', methods: ['POST'], path: '/v1/embeddings', handler: createEmbeddingsHandler(context) },
    { name: 'openai', methods: ['GET'], path: isOpenAiModelRequest, handler: createModelHandler(context) },
    { name: 'openai', path: isUnservedOpenAiPath, handler: unservedOpenAiHandler },
    // Model methods the native route serves pass the pass-through first, which sends a call citing a
    // file or a cache to the owner's project and hands every other call to the native route.
    { name: 'gemini', path: isNativeModelMethod, handler: passThroughHandler },
    { name: 'passthrough', path: passThroughPath, handler: passThroughHandler },
    { name: 'gemini', path: isGeminiModelPath, handler: gemini },
  ];

  const notFound = async (request: Request, { url }: RequestContext): Promise<Response> => {
    const route = parseGeminiPath(url.pathname);
    if (route?.kind === 'method')
      return rejectRequest(
        url.pathname,
        404,
        `The gateway does not serve ${route.method}; call the Gemini API directly for it.`,
        'not_found',
      );
    return rejectRequest(url.pathname, 404, `No route for ${request.method} ${url.pathname}`, 'not_found');
  };

  /** Auth, routing, metrics and the request's log line around the routes. */
  const handle = async (request: Request, exchange?: NodeExchange): Promise<Response> => {
    const started = realClock.now();
    const url = new URL(request.url);
    const context: RequestContext = { url };
    const route = matchRoute(routes, request, url);
    let response: Response;
    if (tokens.length > 0 && !OPEN_PATHS.has(url.pathname)) {
      const client = authenticate(tokens, presentedToken(request.headers, url.searchParams));
      if (client) context.clientName = client.name;
    }
    if (tokens.length > 0 && !OPEN_PATHS.has(url.pathname) && context.clientName === undefined) {
      response = rejectRequest(
        url.pathname,
        401,
        'A valid gemwarden client token is required (Authorization: Bearer TOKEN or x-goog-api-key: TOKEN).',
        'unauthenticated',
      );
    } else {
      try {
        response = await (route?.handler ?? notFound)(request, context);
      } catch (failure) {
        log.error(
          { err: { message: redactSecrets(String((failure as Error)?.message ?? failure), secrets) } },
          'unexpected error',
        );
        response = new Response(geminiErrorText(500, 'Internal error in the gateway.'), {
          status: 500,
          headers: { 'content-type': 'application/json; charset=UTF-8', 'x-gemwarden-attempts': '0' },
        });
      }
    }
    // Model calls count as "gemini" whichever route took them first (the pass-through hands plain ones to the native handler).
    const routeName = isGeminiModelPath(url) ? 'gemini' : (route?.name ?? 'none');
    const headers: Record<string, string> = {};
    for (const name of ['x-gemwarden-model', 'x-gemwarden-kind', 'x-gemwarden-attempts']) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const answered = {
      route: routeName,
      method: request.method,
      pathname: url.pathname,
      search: url.search.slice(1),
      status: response.status,
      headers,
      ...(context.clientName !== undefined ? { clientName: context.clientName } : {}),
      started,
    };
    // Over HTTP, log when the answer (a stream included) has ended; in process, at once.
    if (exchange)
      exchange.outgoing.once('close', () => record({ ...answered, completed: exchange.outgoing.writableFinished }));
    else record({ ...answered, completed: true });
    return response;
  };

  /** Metrics and the one log line of an answered request, whichever edge answered it. */
  const record: RequestRecorder = (answered) => {
    const { status } = answered;
    metrics.countRequest(answered.route, status);
    const url = redactedPath(answered.pathname, answered.search, secrets);
    const line = {
      method: answered.method,
      url,
      status,
      ...(answered.clientName !== undefined ? { client: answered.clientName } : {}),
      model: answered.headers['x-gemwarden-model'],
      kind: answered.headers['x-gemwarden-kind'],
      attempts: Number(answered.headers['x-gemwarden-attempts'] ?? 0),
      ms: realClock.now() - answered.started,
      ...(answered.completed ? {} : { cut: true }),
    };
    log[status >= 500 ? 'warn' : 'info'](line, `${line.method} ${url} ${status}`);
  };

  const server = await serveFetch({
    host,
    port: options.port ?? config.port,
    handler: withCors(handle, config.cors),
    // Plain model calls skip the Fetch conversions at both edges; same answerer, auth, metrics and log line.
    nodeEdge: createModelCallEdge({
      answer: modelCallAnswerer(context),
      tokens,
      bodyLimitBytes,
      cors: (config.cors?.origins.length ?? 0) > 0,
      record,
      onUnexpected: (failure) =>
        log.error(
          { err: { message: redactSecrets(String((failure as Error)?.message ?? failure), secrets) } },
          'unexpected error',
        ),
      clock: realClock,
    }),
    errorBody: geminiErrorText,
    maxConnections: config.maxConnections ?? GATEWAY_DEFAULTS.maxConnections,
    requestTimeoutMs: config.receiveTimeoutMs ?? GATEWAY_DEFAULTS.receiveTimeoutMs,
  });
  const closeLive = attachLiveProxy(server.server, { client, upstream, tokens });
  const grace = config.shutdownGraceMs ?? GATEWAY_DEFAULTS.shutdownGraceMs;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`,
    port: server.port,
    fetch: withCors((request: Request) => handle(request), config.cors),
    client,
    metrics,
    close: async () => {
      closeLive();
      await server.close(grace);
      await owners.close();
      await client.close();
    },
  };
}
