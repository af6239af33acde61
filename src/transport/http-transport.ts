// HTTP to the Gemini API (or anything that speaks it): keys in the x-goog-api-key header, never in
// the URL; a per-attempt timeout; the caller's abort. Failures before an answer become GeminiErrors.
import { classify, GeminiError, keyHint } from '../errors/index.js';
import { modelMethodPath, type ApiVersion, type ModelMethod } from '../wire/index.js';
import type { Clock } from '../time/index.js';
import { Readable } from 'node:stream';
import { Agent, request as undiciRequest } from 'undici';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportCall {
  baseUrl: string;
  version: ApiVersion;
  model?: string;
  method?: ModelMethod;
  /** For GET routes (models list/get): the path after the version. */
  path?: string;
  key: string;
  body?: string;
  /** Stream form: 'sse' adds ?alt=sse. */
  alt?: 'sse';
  timeoutMs: number;
  serverTimeoutSeconds?: number;
  signal?: AbortSignal;
  /** An injected fetch (tests, SDK adapters); without one a keep-alive undici pool is used. */
  fetch?: FetchLike;
  clock: Clock;
  extraHeaders?: Record<string, string>;
  /** A compressed quota day, ms (see ClassifyContext.quotaDayMs); absent for the real day. */
  quotaDayMs?: number;
}

export function buildUrl(
  call: Pick<TransportCall, 'baseUrl' | 'version' | 'model' | 'method' | 'path' | 'alt'>,
): string {
  const base = call.baseUrl.replace(/\/+$/, '').replace(/\/(v1|v1beta|v1alpha)$/, '');
  const path =
    call.model && call.method
      ? modelMethodPath(call.model, call.method, call.version)
      : `/${call.version}/${call.path ?? ''}`;
  return `${base}${path}${call.alt ? `?alt=${call.alt}` : ''}`;
}

/** What the callers read of an answer: the part of fetch's Response that both transports provide. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export interface TransportResponse {
  response: HttpAnswer;
  /** The whole body as text; a timeout or abort while reading becomes a GeminiError. */
  text(): Promise<string>;
  /** Aborts the body read (for streams the caller stops early). */
  abort(): void;
  /** Stops the attempt timer once the caller owns the body. */
  clearTimer(): void;
}

/** Sends one attempt. Resolves with the response whatever its status; rejects with a GeminiError. */
export async function send(call: TransportCall): Promise<TransportResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(call.signal?.reason);
  if (call.signal?.aborted) throw cancelledError(call);
  call.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const cancelTimer = call.clock.timer(call.timeoutMs, () => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${call.timeoutMs} ms`, 'TimeoutError'));
  });
  const cleanup = () => {
    cancelTimer();
    call.signal?.removeEventListener('abort', onCallerAbort);
  };
  const headers: Record<string, string> = {
    'x-goog-api-key': call.key,
    'x-goog-api-client': 'gemwarden/0.1.0',
    ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(call.serverTimeoutSeconds !== undefined ? { 'x-server-timeout': String(call.serverTimeoutSeconds) } : {}),
    ...call.extraHeaders,
  };
  try {
    const init = {
      method: call.body !== undefined ? 'POST' : 'GET',
      headers,
      ...(call.body !== undefined ? { body: call.body } : {}),
      signal: controller.signal,
    };
    const { response, readText } = call.fetch
      ? fromFetch(await call.fetch(buildUrl(call), init))
      : await viaPool(buildUrl(call), init);
    const text = async () => {
      try {
        return await readText();
      } catch (failure) {
        if (call.signal?.aborted) throw cancelledError(call);
        if (timedOut) throw timeoutError(call);
        throw classify(failure, {
          ...(call.model ? { model: call.model } : {}),
          keyHint: keyHint(call.key),
          secrets: [call.key],
        });
      } finally {
        cleanup();
      }
    };
    return {
      response,
      text,
      abort: () => {
        cleanup();
        controller.abort();
      },
      clearTimer: cancelTimer,
    };
  } catch (failure) {
    cleanup();
    if (call.signal?.aborted) throw cancelledError(call);
    if (timedOut) throw timeoutError(call);
    throw classify(failure, {
      ...(call.model ? { model: call.model } : {}),
      keyHint: keyHint(call.key),
      secrets: [call.key],
    });
  }
}

/** What errors made at this edge carry: the model, the key's hint, the key to redact, the clock. */
function errorContext(call: Pick<TransportCall, 'model' | 'key' | 'clock' | 'quotaDayMs'>) {
  return {
    ...(call.model ? { model: call.model } : {}),
    keyHint: keyHint(call.key),
    secrets: [call.key],
    clock: call.clock,
    ...(call.quotaDayMs !== undefined ? { quotaDayMs: call.quotaDayMs } : {}),
  };
}

/**
 * One call whose answer is JSON: resolves with the parsed body of a 2xx answer. Rejects with a
 * GeminiError for everything else, made here once: a non-2xx answer is classified from its status,
 * headers and body; a 2xx body that is not JSON is `malformed_response`; no answer is `network`,
 * `timeout` or `cancelled` (see `send`).
 */
export async function callJson<T>(call: TransportCall): Promise<{ value: T; headers: Headers }> {
  const answer = await send(call);
  const text = await answer.text();
  const { status, headers } = answer.response;
  if (!answer.response.ok) throw classify({ status, headers, body: text }, errorContext(call));
  try {
    return { value: JSON.parse(text) as T, headers };
  } catch {
    throw classify({ status, headers, body: text }, errorContext(call));
  }
}

/**
 * Opens a streamed call: resolves with the answer of a 2xx (its body not read yet); rejects with
 * the classified GeminiError of any other status, its body read here.
 */
export async function openStream(call: TransportCall): Promise<TransportResponse> {
  const answer = await send(call);
  if (answer.response.ok) return answer;
  const body = await answer.text();
  throw classify({ status: answer.response.status, headers: answer.response.headers, body }, errorContext(call));
}

export function cancelledError(call: Pick<TransportCall, 'model' | 'key'>): GeminiError {
  return classify(new DOMException('The request was aborted by the caller.', 'AbortError'), {
    ...(call.model ? { model: call.model } : {}),
    keyHint: keyHint(call.key),
  });
}

export function timeoutError(call: Pick<TransportCall, 'model' | 'key' | 'timeoutMs'>): GeminiError {
  const error = classify(
    new DOMException(`No answer within ${call.timeoutMs} ms (client-side timeout).`, 'TimeoutError'),
    { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key) },
  );
  return error;
}

// Node's fetch costs close to a millisecond of CPU per request; undici's request API on a shared
// keep-alive pool costs a fraction of that, which matters to a gateway.
const pool = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

function fromFetch(response: Response): { response: HttpAnswer; readText: () => Promise<string> } {
  return { response, readText: () => response.text() };
}

async function viaPool(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<{ response: HttpAnswer; readText: () => Promise<string> }> {
  const answer = await undiciRequest(url, {
    method: init.method as 'GET' | 'POST',
    headers: init.headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    signal: init.signal,
    dispatcher: pool,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  let web: ReadableStream<Uint8Array> | undefined;
  return {
    response: {
      status: answer.statusCode,
      ok: answer.statusCode >= 200 && answer.statusCode < 300,
      headers,
      get body() {
        web ??= Readable.toWeb(answer.body) as unknown as ReadableStream<Uint8Array>;
        return web;
      },
    },
    readText: () => answer.body.text(),
  };
}
