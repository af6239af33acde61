// The emulator's HTTP server (fastify): Gemini routes under /v1beta and /v1, and /_emulator admin.
// Every answer, including for bad input, is in Google's error envelope; nothing crashes the server.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { parseGeminiPath, bareModelName, MODEL_METHODS, type ModelMethod } from '../wire/index.js';
import { realClock, type Clock } from '../time/index.js';
import { bodies, JSON_TYPE, type EmulatedError } from './bodies.js';
import { EMULATOR_DEFAULTS, emulatorConfigSchema, type EmulatorConfig } from './config.js';
import { handleMethod, writeStream } from './handle-generate.js';
import { EmulatorState, type EmulatorStats } from './state.js';

export interface EmulatorOptions {
  host?: string;
  port?: number;
  clock?: Clock;
}

export interface EmulatorHandle {
  url: string;
  port: number;
  stats(): EmulatorStats;
  reset(): void;
  configure(config: EmulatorConfig): void;
  close(): Promise<void>;
  app: FastifyInstance;
}

function sendError(reply: FastifyReply, error: EmulatedError): FastifyReply {
  reply.code(error.status).header('content-type', error.contentType);
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  return reply.send(error.body);
}

function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', JSON_TYPE)
    .send(`${JSON.stringify(body, null, 2)}\n`);
}

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-goog-api-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  const query = request.query as Record<string, string | string[] | undefined>;
  const fromQuery = Array.isArray(query.key) ? query.key[0] : query.key;
  return fromQuery || undefined;
}

export function createEmulatorApp(
  config: EmulatorConfig = {},
  clock: Clock = realClock,
): { app: FastifyInstance; state: EmulatorState } {
  const state = new EmulatorState(config, clock);
  const maxBodyBytes = state.config.maxBodyBytes ?? EMULATOR_DEFAULTS.maxBodyBytes;
  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    return503OnClosing: false,
    keepAliveTimeout: 65_000,
    // Errors fastify raises before routing (a malformed URL, a bad content type) get Google's envelope too.
    frameworkErrors: (_error, _request, reply) => {
      sendError(reply, bodies.methodNotFound());
    },
  });
  const sleep = (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal);

  // Bodies are read as text whatever the content type: we parse JSON ourselves to answer like Google.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, bodies.payloadTooLarge(maxBodyBytes));
    if ((error.statusCode ?? 500) < 500)
      return sendError(reply, bodies.invalidArgument(`Invalid request: ${error.message}`));
    return sendError(reply, bodies.internal());
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, bodies.methodNotFound()));

  app.addHook('onRequest', async (request) => {
    // Google reads the body as JSON whatever the content type says; so does the emulator.
    const contentType = request.headers['content-type'];
    if (!contentType || !contentType.trim()) request.headers['content-type'] = 'application/json';
    if (request.url.startsWith('/_emulator/')) return;
    state.counters.total++;
    const route = parseGeminiPath(request.url.split('?')[0] ?? '');
    if (route && route.kind !== 'list-models') {
      const model = bareModelName(route.model);
      state.counters.byModel[model] = (state.counters.byModel[model] ?? 0) + 1;
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/_emulator/')) state.countStatus(reply.statusCode);
  });

  // ---- admin ----
  app.get('/_emulator/stats', async (_request, reply) => sendJson(reply, state.stats()));
  app.get('/_emulator/requests', async (_request, reply) => sendJson(reply, { requests: state.requests }));
  app.post('/_emulator/reset', async (_request, reply) => {
    state.reset();
    return sendJson(reply, { ok: true });
  });
  app.put('/_emulator/config', async (request, reply) => {
    let value: unknown;
    try {
      value = JSON.parse(String(request.body ?? ''));
    } catch {
      return sendError(reply, bodies.invalidArgument('The emulator config must be a JSON object.'));
    }
    const checked = emulatorConfigSchema.safeParse(value);
    if (!checked.success) {
      return sendError(
        reply,
        bodies.invalidArgument(
          checked.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('\n'),
        ),
      );
    }
    state.apply(checked.data);
    return sendJson(reply, { ok: true });
  });

  // ---- Gemini API ----
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      const route = parseGeminiPath(path);
      if (!route) return sendError(reply, bodies.methodNotFound());
      const isPost = request.method === 'POST';
      if ((route.kind === 'method') !== isPost) return sendError(reply, bodies.methodNotFound());

      const apiKey = apiKeyOf(request);
      if (!apiKey) return sendError(reply, bodies.noKey());
      const key = state.lookupKey(apiKey);
      if (!key || key.state === 'invalid') return sendError(reply, bodies.keyInvalid(false));
      state.counters.byProject[key.project] = (state.counters.byProject[key.project] ?? 0) + 1;
      const method = route.kind === 'method' ? route.method : 'listModels';
      switch (key.state) {
        case 'expired':
          return sendError(reply, bodies.keyInvalid(true));
        case 'suspended':
          return sendError(reply, bodies.suspended(key.key, key.project));
        case 'service_disabled':
          return sendError(reply, bodies.serviceDisabled(key.project));
        case 'blocked':
          return sendError(reply, bodies.serviceBlocked(key.project, method, route.version));
        case 'location_unsupported':
          return sendError(reply, bodies.locationUnsupported());
        default:
          break;
      }

      if (route.kind === 'list-models')
        return sendJson(reply, { models: [...state.models.values()].map((model) => model.info) });
      const modelName = bareModelName(route.model);
      const model = state.models.get(modelName);
      if (route.kind === 'get-model') {
        return model
          ? sendJson(reply, model.info)
          : sendError(reply, bodies.modelResourceNotFound(modelName, route.version));
      }
      if (!(MODEL_METHODS as readonly string[]).includes(route.method))
        return sendError(reply, bodies.methodNotFound());
      if (!model) return sendError(reply, bodies.modelNotFound(modelName, route.version, route.method));

      const timeoutHeader = request.headers['x-server-timeout'];
      const serverTimeoutSeconds = Number(Array.isArray(timeoutHeader) ? timeoutHeader[0] : timeoutHeader);
      const query = request.query as Record<string, unknown>;
      const outcome = handleMethod({
        state,
        model,
        method: route.method as ModelMethod,
        version: route.version,
        key,
        bodyText: typeof request.body === 'string' ? request.body : '',
        sse: query.alt === 'sse',
        ...(Number.isFinite(serverTimeoutSeconds) && serverTimeoutSeconds > 0 ? { serverTimeoutSeconds } : {}),
      });

      const gone = new AbortController();
      // The response's close (not the request's, which fires once the body is read) tells a client that left.
      reply.raw.on('close', () => {
        if (reply.raw.writableFinished) return;
        state.counters.clientAborts++;
        gone.abort();
      });
      try {
        if (outcome.type === 'stream') {
          reply.hijack();
          await writeStream(
            reply.raw,
            outcome,
            (ms) => sleep(ms, gone.signal),
            () => {
              state.counters.midStreamErrors++;
            },
          );
          return reply;
        }
        if (outcome.delayMs) await sleep(outcome.delayMs, gone.signal);
      } catch {
        if (!reply.raw.headersSent) reply.raw.destroy();
        else reply.raw.end();
        return reply;
      }
      return outcome.type === 'error' ? sendError(reply, outcome.error) : sendJson(reply, outcome.body);
    },
  });

  return { app, state };
}

/** Starts the emulator on a real socket (port 0 picks a free one). */
export async function startEmulator(
  config: EmulatorConfig = {},
  options: EmulatorOptions = {},
): Promise<EmulatorHandle> {
  const checked = emulatorConfigSchema.parse(config);
  const { app, state } = createEmulatorApp(checked, options.clock);
  const host = options.host ?? EMULATOR_DEFAULTS.host;
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    app,
    stats: () => state.stats(),
    reset: () => state.reset(),
    configure: (next) => state.apply(emulatorConfigSchema.parse(next)),
    close: async () => {
      app.server.closeAllConnections?.();
      await app.close();
    },
  };
}
