// HTTP to the Gemini API (or anything that speaks it): keys in the x-goog-api-key header, never in
// the URL; a per-attempt timeout; the caller's abort. Failures before an answer become GeminiErrors.
import { classify, GeminiError, keyHint } from '../errors/index.js';
import { modelMethodPath, type ApiVersion, type ModelMethod } from '../wire/index.js';
import type { Clock } from '../time/index.js';

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
  fetch: FetchLike;
  clock: Clock;
  extraHeaders?: Record<string, string>;
}

export function buildUrl(call: Pick<TransportCall, 'baseUrl' | 'version' | 'model' | 'method' | 'path' | 'alt'>): string {
  const base = call.baseUrl.replace(/\/+$/, '').replace(/\/(v1|v1beta|v1alpha)$/, '');
  const path = call.model && call.method ? modelMethodPath(call.model, call.method, call.version) : `/${call.version}/${call.path ?? ''}`;
  return `${base}${path}${call.alt ? `?alt=${call.alt}` : ''}`;
}

export interface TransportResponse {
  response: Response;
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
  const timer = new AbortController();
  let timedOut = false;
  const onCallerAbort = () => controller.abort(call.signal?.reason);
  if (call.signal?.aborted) throw cancelledError(call);
  call.signal?.addEventListener('abort', onCallerAbort, { once: true });
  call.clock.sleep(call.timeoutMs, timer.signal).then(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${call.timeoutMs} ms`, 'TimeoutError'));
  }, () => undefined);
  const cleanup = () => {
    timer.abort();
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
    const response = await call.fetch(buildUrl(call), {
      method: call.body !== undefined ? 'POST' : 'GET',
      headers,
      ...(call.body !== undefined ? { body: call.body } : {}),
      signal: controller.signal,
    });
    const text = async () => {
      try {
        return await response.text();
      } catch (failure) {
        if (call.signal?.aborted) throw cancelledError(call);
        if (timedOut) throw timeoutError(call);
        throw classify(failure, { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key), secrets: [call.key] });
      } finally {
        cleanup();
      }
    };
    return { response, text, abort: () => { cleanup(); controller.abort(); }, clearTimer: () => timer.abort() };
  } catch (failure) {
    cleanup();
    if (call.signal?.aborted) throw cancelledError(call);
    if (timedOut) throw timeoutError(call);
    throw classify(failure, { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key), secrets: [call.key] });
  }
}

export function cancelledError(call: Pick<TransportCall, 'model' | 'key'>): GeminiError {
  return classify(new DOMException('The request was aborted by the caller.', 'AbortError'), { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key) });
}

export function timeoutError(call: Pick<TransportCall, 'model' | 'key' | 'timeoutMs'>): GeminiError {
  const error = classify(new DOMException(`No answer within ${call.timeoutMs} ms (client-side timeout).`, 'TimeoutError'), { ...(call.model ? { model: call.model } : {}), keyHint: keyHint(call.key) });
  return error;
}
