// HTTP to the Gemini API (or anything that speaks it): keys in the x-goog-api-key header, never in
// the URL; a per-attempt timeout that starts when the request leaves on a connection; a deadline for
// the answer to start, which also bounds the wait for a free connection; the caller's abort.
// Failures before an answer become GeminiErrors.
import { classify, GeminiError, keyHint } from '../errors/index.js';
import { modelMethodPath, type ApiVersion, type ModelMethod } from '../wire/index.js';
import type { Clock } from '../time/index.js';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { armTimer } from './arm-timer.js';
import { guardStream } from './stream-guard.js';
import { upstreamPool, type DispatchNoticeOptions, type UpstreamPool } from './upstream-pool.js';

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
  /**
   * Client-side limit of the attempt, ms: from when the request is written to a connection (with an
   * injected fetch, from the start) until the answer's headers, or for a stream its first chunk
   * (the caller stops the timer with `clearTimer`).
   */
  timeoutMs: number;
  /** Sent as X-Server-Timeout (seconds): how long the server may take. Absent: not sent. */
  serverTimeoutSeconds?: number;
  /**
   * Epoch ms by which the answer must have started, waits for a free connection included: past it
   * the attempt ends with a `timeout` error that says whether it was still waiting for a connection.
   */
  startBy?: number;
  /**
   * For a streamed body, once the caller holds its first chunk (`clearTimer`): the longest wait
   * for the next piece, ms. Past it the connection is closed and the body errors with a `timeout`
   * GeminiError (see stream-guard.ts).
   */
  idleMs?: number;
  /** For a streamed body: epoch ms by which it must be over (the whole call's deadline). */
  endBy?: number;
  signal?: AbortSignal;
  /** An injected fetch (tests, SDK adapters); without one a keep-alive undici pool is used. */
  fetch?: FetchLike;
  /** The undici pool to send on when no fetch is injected (default: the shared unlimited pool). */
  pool?: UpstreamPool;
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
  /**
   * Ends the wait for the answer to start (the attempt timer and the start deadline) once the
   * caller holds the first chunk; from then on the body is bounded by `idleMs` and `endBy`.
   */
  clearTimer(): void;
}

/**
 * The abort of one attempt in the form undici's request API also takes (an emitter with one
 * `abort` listener): an AbortController and its EventTarget cost more than the rest of the
 * attempt's bookkeeping, and an attempt on the pool needs only undici's one listener.
 */
class AttemptAbort {
  aborted = false;
  reason: unknown;
  private listener: (() => void) | undefined;

  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }

  addListener(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}

/** Sends one attempt. Resolves with the response whatever its status; rejects with a GeminiError. */
export async function send(call: TransportCall): Promise<TransportResponse> {
  // An injected fetch needs a real AbortSignal; undici's request API takes the cheaper emitter.
  const fetchAbort = call.fetch ? new AbortController() : undefined;
  const controller: { abort(reason?: unknown): void; readonly aborted: boolean } = fetchAbort
    ? {
        abort: (reason) => fetchAbort.abort(reason),
        get aborted() {
          return fetchAbort.signal.aborted;
        },
      }
    : new AttemptAbort();
  const clock = call.clock;
  const begun = clock.now();
  /** Why our side ended the attempt: its own limit, or the call's deadline. */
  let cutBy: 'attempt' | 'deadline' | undefined;
  let dispatchedAt: number | undefined;
  let finished = false;
  let cancelAttemptTimer = () => {};
  const onCallerAbort = () => controller.abort(call.signal?.reason);
  if (call.signal?.aborted) throw cancelledError(call);
  call.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const cut = (by: 'attempt' | 'deadline', message: string) => {
    cutBy ??= by;
    controller.abort(new DOMException(message, 'TimeoutError'));
  };
  // The attempt's own clock starts when the request is on a connection: time spent queued for a
  // free one says nothing about the upstream being slow (only the deadline bounds that wait).
  const onDispatched = () => {
    // undici also calls onConnect for a queued request it drops after an abort: not a dispatch.
    if (finished || cutBy !== undefined || controller.aborted || dispatchedAt !== undefined) return;
    dispatchedAt = clock.now();
    cancelAttemptTimer = armTimer(clock, call.timeoutMs, () => cut('attempt', `no answer within ${call.timeoutMs} ms`));
  };
  const cancelDeadlineTimer =
    call.startBy !== undefined
      ? armTimer(clock, call.startBy - begun, () => cut('deadline', "the call's deadline passed"))
      : () => {};
  if (call.fetch) onDispatched();
  const stopTimers = () => {
    finished = true;
    cancelAttemptTimer();
    cancelDeadlineTimer();
  };
  const cleanup = () => {
    stopTimers();
    call.signal?.removeEventListener('abort', onCallerAbort);
  };
  const failed = (failure: unknown): GeminiError => {
    if (call.signal?.aborted) return cancelledError(call);
    if (cutBy === 'attempt') return timeoutError(call);
    if (cutBy === 'deadline')
      return dispatchedAt === undefined
        ? poolWaitError(call, clock.now() - begun)
        : deadlineError(call, clock.now() - dispatchedAt);
    return classify(failure, {
      ...(call.model ? { model: call.model } : {}),
      keyHint: keyHint(call.key),
      secrets: [call.key],
    });
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
    };
    const pool = call.pool ?? upstreamPool();
    const { response, readText } =
      call.fetch && fetchAbort
        ? fromFetch(await call.fetch(buildUrl(call), { ...init, signal: fetchAbort.signal }))
        : await viaPool(buildUrl(call), init, controller as AttemptAbort, pool.noticing, onDispatched);
    let bodyArmed = false;
    let guarded: ReadableStream<Uint8Array> | null | undefined;
    const limited = call.idleMs !== undefined || call.endBy !== undefined;
    const guardedAnswer: HttpAnswer = {
      status: response.status,
      ok: response.ok,
      get headers() {
        return response.headers;
      },
      get body() {
        if (guarded !== undefined) return guarded;
        const source = response.body;
        guarded =
          source && limited
            ? guardStream(source, {
                clock,
                ...(call.idleMs !== undefined ? { idleMs: call.idleMs } : {}),
                ...(call.endBy !== undefined ? { endBy: call.endBy } : {}),
                armed: () => bodyArmed,
                onCut: () => {
                  cleanup();
                  controller.abort();
                },
                ...(call.model ? { model: call.model } : {}),
                keyHint: keyHint(call.key),
              })
            : source;
        return guarded;
      },
    };
    const text = async () => {
      try {
        return await readText();
      } catch (failure) {
        throw failed(failure);
      } finally {
        cleanup();
      }
    };
    return {
      response: guardedAnswer,
      text,
      abort: () => {
        cleanup();
        controller.abort();
      },
      clearTimer: () => {
        stopTimers();
        bodyArmed = true;
      },
    };
  } catch (failure) {
    cleanup();
    throw failed(failure);
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
 * One call whose answer is JSON: resolves with the parsed body of a 2xx answer (and its text as
 * received). Rejects with a
 * GeminiError for everything else, made here once: a non-2xx answer is classified from its status,
 * headers and body; a 2xx body that is not JSON is `malformed_response`; no answer is `network`,
 * `timeout` or `cancelled` (see `send`).
 */
export async function callJson<T>(call: TransportCall): Promise<{ value: T; text: string; headers: Headers }> {
  const answer = await send(call);
  const text = await answer.text();
  const { response } = answer;
  if (!response.ok)
    throw classify({ status: response.status, headers: response.headers, body: text }, errorContext(call));
  try {
    const value = JSON.parse(text) as T;
    return {
      value,
      text,
      get headers() {
        return response.headers;
      },
    };
  } catch {
    throw classify({ status: response.status, headers: response.headers, body: text }, errorContext(call));
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

/**
 * The error of an attempt that waited `waitedMs` for a free upstream connection until the call's
 * deadline: kind `timeout`, and the message names the pool as the cause so nobody blames Gemini.
 */
export function poolWaitError(call: Pick<TransportCall, 'model' | 'key' | 'pool'>, waitedMs: number): GeminiError {
  const size = call.pool?.connections;
  return classify(
    new DOMException(
      `No upstream connection became free within ${Math.round(waitedMs)} ms: all ` +
        `${size ?? 'the'} connections of the pool were busy until the call's deadline ` +
        `(raise the upstream connections setting). Nothing was sent.`,
      'TimeoutError',
    ),
    { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key) },
  );
}

/** The error of an attempt still waiting for its answer when the call's deadline passed, `sentMs` after it was sent. */
export function deadlineError(call: Pick<TransportCall, 'model' | 'key'>, sentMs: number): GeminiError {
  return classify(
    new DOMException(
      `No answer before the call's deadline (${Math.round(sentMs)} ms after the request was sent; client-side).`,
      'TimeoutError',
    ),
    { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key) },
  );
}

// Node's fetch costs close to a millisecond of CPU per request; undici's request API on a shared
// keep-alive pool (upstream-pool.ts) costs a fraction of that, which matters to a gateway.

function fromFetch(response: Response): { response: HttpAnswer; readText: () => Promise<string> } {
  return { response, readText: () => response.text() };
}

/** Origins by the text before their path: parsed once per upstream, not per attempt. */
const origins = new Map<string, string>();

/**
 * `url` as undici's dispatcher takes it: the origin (normalised by the URL parser, cached) and the
 * path with its query, as buildUrl made them (already percent-encoded).
 */
function splitUrl(url: string): { origin: string; path: string } {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  const head = slash < 0 ? url : url.slice(0, slash);
  let origin = origins.get(head);
  if (origin === undefined) {
    origin = new URL(head).origin;
    if (origins.size < 100) origins.set(head, origin);
  }
  return { origin, path: slash < 0 ? '/' : url.slice(slash) };
}

async function viaPool(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  abort: AttemptAbort,
  dispatcher: Dispatcher,
  onDispatched: () => void,
): Promise<{ response: HttpAnswer; readText: () => Promise<string> }> {
  const { origin, path } = splitUrl(url);
  const options: Dispatcher.RequestOptions & DispatchNoticeOptions = {
    origin,
    path,
    method: init.method as 'GET' | 'POST',
    headers: init.headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    signal: abort,
    // The attempt timer starts when undici writes the request (upstream-pool.ts).
    onDispatched,
  };
  const answer = await dispatcher.request(options);
  // A Fetch Headers object costs more than a small answer's parsing; most 2xx answers never read it.
  let headers: Headers | undefined;
  const fetchHeaders = (): Headers => {
    if (headers) return headers;
    headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else if (value !== undefined) headers.set(name, value);
    }
    return headers;
  };
  let web: ReadableStream<Uint8Array> | undefined;
  return {
    response: {
      status: answer.statusCode,
      ok: answer.statusCode >= 200 && answer.statusCode < 300,
      get headers() {
        return fetchHeaders();
      },
      get body() {
        web ??= Readable.toWeb(answer.body) as unknown as ReadableStream<Uint8Array>;
        return web;
      },
    },
    readText: () => answer.body.text(),
  };
}
