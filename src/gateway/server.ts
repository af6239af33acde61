// `gemwarden serve`: a Gemini-compatible and OpenAI-compatible endpoint in front of the resilient
// client. Handlers live in their own files; this one owns the server: body parsing, auth, logs,
// operations routes, graceful shutdown, and the built-in emulator when there is no key.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { createClient, geminiErrorBody, type GeminiClient } from '../client/index.js';
import { classify, redactSecrets } from '../errors/index.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { authenticate, presentedToken } from './auth.js';
import {
  clientOptionsFromConfig,
  GATEWAY_DEFAULTS,
  isLoopback,
  keysFromEnvironment,
  type CheckedGatewayConfig,
} from './config.js';
import { registerGeminiRoutes } from './gemini-routes.js';
import { GatewayMetrics } from './metrics.js';
import { STATUS_PAGE } from './status-page.js';
import { StatusCollector } from './status.js';
import { registerOpenAiRoutes } from './openai-routes.js';
import { isOpenAiPath, OPEN_PATHS, rejectRequest, type GatewayContext } from './context.js';

export interface GatewayOptions {
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** false silences logs (tests); otherwise JSON logs at the config's level. */
  logger?: boolean;
  /** Where JSON logs go (standard output by default). */
  logDestination?: NodeJS.WritableStream;
  /** Where the built-in emulator's notice goes (stderr by default). */
  notice?: (line: string) => void;
}

export interface GatewayHandle {
  url: string;
  port: number;
  app: FastifyInstance;
  client: GeminiClient;
  metrics: GatewayMetrics;
  /** The built-in emulator, when the gateway runs without keys. */
  emulator?: EmulatorHandle;
  close(): Promise<void>;
}

export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
}

export async function startGateway(config: CheckedGatewayConfig, options: GatewayOptions = {}): Promise<GatewayHandle> {
  const host = options.host ?? GATEWAY_DEFAULTS.host;
  const tokens = config.clients ?? [];
  if (!isLoopback(host) && tokens.length === 0) {
    throw new GatewayConfigError(
      `binding to ${host} (not loopback) needs client tokens: add "clients": [{"token": "…", "name": "…"}] to the config`,
    );
  }
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = options.env ?? process.env;
  let keys = config.keys ?? [];
  if (keys.length === 0) keys = keysFromEnvironment(env);
  let emulator: EmulatorHandle | undefined;
  let upstream = config.upstream ?? GATEWAY_DEFAULTS.upstream;
  if (keys.length === 0) {
    emulator = await startEmulator({}, { host: '127.0.0.1', port: 0 });
    upstream = emulator.url;
    keys = ['built-in-emulator-key'];
    notice('!'.repeat(78));
    notice('! No Gemini API key configured (GEMINI_API_KEY, GEMINI_API_KEYS or "keys" in the config).');
    notice(`! Serving from the BUILT-IN EMULATOR at ${emulator.url}: answers are emulated, not Gemini's.`);
    notice('!'.repeat(78));
  }

  const client = createClient(clientOptionsFromConfig(config, keys, upstream));
  const metrics = new GatewayMetrics(client);
  const status = new StatusCollector(client, emulator ? `built-in emulator (${upstream})` : upstream);
  const bodyLimitBytes = config.bodyLimitBytes ?? GATEWAY_DEFAULTS.bodyLimitBytes;
  const secrets = keys.map((key) => (typeof key === 'string' ? key : key.key));

  const app = Fastify({
    bodyLimit: bodyLimitBytes,
    requestTimeout: 120_000,
    return503OnClosing: true,
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel ?? GATEWAY_DEFAULTS.logLevel,
            ...(options.logDestination ? { stream: options.logDestination } : {}),
            redact: { paths: ['req.headers.authorization', 'req.headers["x-goog-api-key"]'], censor: '[redacted]' },
            serializers: {
              req: (request: { method: string; url: string }) => ({
                method: request.method,
                url: redactSecrets(request.url, secrets),
              }),
            },
          },
    frameworkErrors: (error, request, reply) => {
      rejectRequest(request, reply, 400, `Invalid request: ${error.message}`, 'invalid_request');
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    inFlight++;
    reply.raw.once('close', () => {
      inFlight--;
    });
    const contentType = request.headers['content-type'];
    if (!contentType || !contentType.trim()) request.headers['content-type'] = 'application/json';
    if (OPEN_PATHS.has(request.url)) return;
    if (tokens.length === 0) return;
    const client = authenticate(tokens, presentedToken(request.headers, request.query as Record<string, unknown>));
    if (!client)
      return rejectRequest(
        request,
        reply,
        401,
        'A valid gemwarden client token is required (Authorization: Bearer TOKEN or x-goog-api-key: TOKEN).',
        'unauthenticated',
      );
    (request as FastifyRequest & { clientName?: string }).clientName = client.name;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = isOpenAiPath(request.url) ? 'openai' : request.url.startsWith('/v1') ? 'gemini' : 'ops';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
  });
  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return rejectRequest(
        request,
        reply,
        413,
        `Request payload size exceeds the limit: ${bodyLimitBytes} bytes.`,
        'input_too_large',
      );
    if ((error.statusCode ?? 500) < 500)
      return rejectRequest(
        request,
        reply,
        error.statusCode ?? 400,
        `Invalid request: ${error.message}`,
        'invalid_request',
      );
    request.log.error({ err: { message: redactSecrets(error.message, secrets) } }, 'unexpected error');
    const failure = classify(error);
    return reply
      .code(500)
      .header('content-type', 'application/json; charset=UTF-8')
      .send(JSON.stringify(geminiErrorBody(failure)));
  });
  app.setNotFoundHandler((request, reply) =>
    rejectRequest(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`, 'not_found'),
  );

  // Logs: what gemwarden did about each failure, with key hints only.
  client.on('attempt-failed', (event) =>
    app.log.warn({ event: 'attempt-failed', ...event }, `${event.model}: ${event.kind} → ${event.action}`),
  );
  client.on('model-fallback', (event) =>
    app.log.info({ event: 'model-fallback', ...event }, `fell back from ${event.from} to ${event.to}`),
  );
  client.on('key-disabled', (event) =>
    app.log.warn({ event: 'key-disabled', ...event }, `key ${event.keyHint} taken out: ${event.reason}`),
  );
  client.on('key-parked', (event) =>
    app.log.warn(
      {
        event: 'key-parked',
        ...event,
        until: Number.isFinite(event.until) ? new Date(event.until).toISOString() : 'process end',
      },
      `${event.project}/${event.model} parked: ${event.reason}`,
    ),
  );
  client.on('pacing-degraded', (event) => app.log.error({ event: 'pacing-degraded' }, event.reason));
  client.on('pacing-restored', () =>
    app.log.info({ event: 'pacing-restored' }, 'Redis is back: pacing is shared again'),
  );
  client.on('limit-learned', (event) =>
    app.log.info(
      { event: 'limit-learned', ...event },
      `learned ${event.window} ${event.limit} for ${event.project}/${event.model}`,
    ),
  );
  client.on('circuit-opened', (event) =>
    app.log.warn(
      { event: 'circuit-opened', model: event.model, until: new Date(event.until).toISOString() },
      `circuit opened for ${event.model}`,
    ),
  );

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const usable = client.keys.keys.filter((key) => !key.disabled).length;
    return reply
      .code(usable > 0 ? 200 : 503)
      .send({ ready: usable > 0, usableKeys: usable, upstream: emulator ? 'built-in emulator' : upstream });
  });
  app.get('/status', async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(STATUS_PAGE),
  );
  app.get('/status.json', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(await status.json()),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const context: GatewayContext = { client, metrics, tokens, bodyLimitBytes };
  registerOpenAiRoutes(app, context);
  registerGeminiRoutes(app, context);

  try {
    await app.listen({ host, port: options.port ?? GATEWAY_DEFAULTS.port });
  } catch (error) {
    await emulator?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const grace = config.shutdownGraceMs ?? GATEWAY_DEFAULTS.shutdownGraceMs;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    app,
    client,
    metrics,
    ...(emulator ? { emulator } : {}),
    close: async () => {
      // Drain: stop accepting, let in-flight requests finish, cut what is still open after the grace.
      const closed = app.close();
      const until = Date.now() + grace;
      while (inFlight > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      // Nothing in flight (or the grace is over): keep-alive and never-used sockets need not wait.
      app.server.closeAllConnections();
      await closed;
      await client.close();
      await emulator?.close();
    },
  };
}
