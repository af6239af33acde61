// The emulator as one Fetch-style handler, `(Request) => Promise<Response>`: it finds the route,
// checks the API key as Gemini does, counts the request, and answers every failure, including
// its own bugs, in Google's error envelope. Served on Node by server.ts; callable in process.
import { realClock, type Clock } from '../time/index.js';
import { bodies, type EmulatedError } from './bodies.js';
import { EMULATOR_DEFAULTS, type EmulatorConfig } from './config.js';
import { errorResponse, readBodyText } from './respond.js';
import { EmulatorFailure, matchRoute, type EmulatorRoute, type RouteContext } from './router.js';
import { EMULATOR_ROUTES } from './routes.js';
import { EmulatorState, type KeyRecord, type RecordedRequest } from './state.js';
import { promptText } from './answers.js';
import { normaliseFieldNames, type GenerateContentRequest } from '../wire/index.js';

/** The emulator, callable without a socket. */
export interface EmulatorHandler {
  /** Answers one request as the Gemini API would (or as the emulator's admin endpoints do). */
  fetch(request: Request): Promise<Response>;
  state: EmulatorState;
}

/** The API key from `x-goog-api-key` or `?key=`, as Gemini accepts it. */
function apiKeyOf(request: Request, url: URL): string | undefined {
  return request.headers.get('x-goog-api-key') || url.searchParams.get('key') || undefined;
}

/** Gemini's answer for a key that cannot call `rpcMethod`, or the key's record when it can. */
function checkKey(
  state: EmulatorState,
  apiKey: string | undefined,
  rpcMethod: string,
  version: string | undefined,
): KeyRecord | EmulatedError {
  if (!apiKey) return bodies.noKey();
  const key = state.lookupKey(apiKey);
  if (!key || key.state === 'invalid') return bodies.keyInvalid(false);
  state.counters.byProject[key.project] = (state.counters.byProject[key.project] ?? 0) + 1;
  switch (key.state) {
    case 'expired':
      return bodies.keyInvalid(true);
    case 'suspended':
      return bodies.suspended(key.key, key.project);
    case 'service_disabled':
      return bodies.serviceDisabled(key.project);
    case 'blocked':
      return bodies.serviceBlocked(
        key.project,
        rpcMethod,
        version === 'v1' || version === 'v1alpha' ? version : 'v1beta',
      );
    case 'location_unsupported':
      return bodies.locationUnsupported();
    default:
      return key;
  }
}

const RECORDED_BODY_LIMIT = 1024 * 1024;

/** A request as the admin log keeps it: the key as its last 4 characters, never whole. */
function recordOf(
  request: Request,
  url: URL,
  text: string,
  key: KeyRecord | undefined,
  model: string | undefined,
  at: number,
): RecordedRequest {
  const shownUrl = new URL(url);
  if (shownUrl.searchParams.has('key')) shownUrl.searchParams.set('key', 'REDACTED');
  let body: unknown;
  if (text.length <= RECORDED_BODY_LIMIT) {
    try {
      body = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
  }
  let prompt = '';
  // Only generate calls carry a prompt, so a log of prompts counts what was asked of the model.
  if (/:(stream)?generateContent$/i.test(url.pathname) && body && typeof body === 'object' && 'contents' in body) {
    try {
      prompt = promptText(normaliseFieldNames(body as GenerateContentRequest, 'GenerateContentRequest'));
    } catch {
      prompt = '';
    }
  }
  return {
    at,
    method: request.method,
    path: `${shownUrl.pathname}${shownUrl.search}`,
    ...(model !== undefined ? { model: model.replace(/^models\//, '') } : {}),
    ...(key ? { project: key.project, keyHint: key.key.slice(-4) } : {}),
    ...(body !== undefined ? { body } : {}),
    prompt: prompt.slice(0, 20_000),
  };
}

function decodedPath(url: URL): string | undefined {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
}

/**
 * Makes the emulator's handler. `routes` defaults to the full table; `clock` (real by default)
 * drives quota windows, latency and fault time windows.
 */
export function createEmulatorHandler(
  config: EmulatorConfig = {},
  clock: Clock = realClock,
  routes: readonly EmulatorRoute[] = EMULATOR_ROUTES,
): EmulatorHandler {
  const state = new EmulatorState(config, clock);

  async function dispatch(request: Request, url: URL, path: string | undefined, receivedAt: number): Promise<Response> {
    if (path === undefined) return errorResponse(bodies.methodNotFound());
    const match = matchRoute(routes, request.method, path);
    if (match.type !== 'route') return errorResponse(bodies.methodNotFound());
    const { route, params } = match;
    const modelName = route.model?.(params);
    if (modelName !== undefined) {
      const bare = modelName.startsWith('models/') ? modelName.slice('models/'.length) : modelName;
      state.counters.byModel[bare] = (state.counters.byModel[bare] ?? 0) + 1;
    }
    let key: KeyRecord | undefined;
    if (route.auth === 'key') {
      const rpcMethod = route.rpcMethod?.(params) ?? params.method ?? 'generateContent';
      const checked = checkKey(state, apiKeyOf(request, url), rpcMethod, params.version);
      if (!('key' in checked)) return errorResponse(checked);
      key = checked;
    }
    let body: Promise<string> | undefined;
    const readAndRecord = async (): Promise<string> => {
      const text = await readBodyText(request, {
        maxBytes: state.config.maxBodyBytes ?? EMULATOR_DEFAULTS.maxBodyBytes,
        timeoutMs: state.config.bodyTimeoutMs ?? EMULATOR_DEFAULTS.bodyTimeoutMs,
        clock,
      });
      if (route.auth === 'key') state.record(recordOf(request, url, text, key, modelName, clock.now()));
      return text;
    };
    const context: RouteContext = {
      state,
      clock,
      url,
      path,
      receivedAt,
      params,
      key,
      fetch: (inner) => handler.fetch(inner),
      bodyText: () => (body ??= readAndRecord()),
    };
    return route.handle(request, context);
  }

  const handler: EmulatorHandler = {
    state,
    async fetch(request) {
      const receivedAt = clock.now();
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return errorResponse(bodies.methodNotFound());
      }
      const path = decodedPath(url);
      const counted = !(path ?? url.pathname).startsWith('/_emulator/');
      if (counted) state.counters.total++;
      let response: Response;
      try {
        response = await dispatch(request, url, path, receivedAt);
      } catch (failure) {
        response = errorResponse(failure instanceof EmulatorFailure ? failure.error : bodies.internal());
      }
      if (counted) state.countStatus(response.status);
      return response;
    },
  };
  return handler;
}
