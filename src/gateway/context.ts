// What the route handlers share, and the early rejection every route answers in its own format.
import { toFetchResponse, type GeminiAnswer, type GeminiClient } from '../client/index.js';
import type { GeminiError } from '../errors/index.js';
import { errorEnvelope, renderErrorBody, type RpcStatus } from '../wire/index.js';
import type { ClientToken } from './auth.js';
import type { GatewayMetrics } from './metrics.js';
import { openAiError } from './openai-errors.js';
import { isOpenAiPath } from './openai/paths.js';

/** Everything the gateway's handlers need, made once by `startGateway`. */
export interface GatewayContext {
  client: GeminiClient;
  metrics: GatewayMetrics;
  tokens: readonly ClientToken[];
  /** Largest request body accepted, bytes. */
  bodyLimitBytes: number;
  /** Records a stream that failed after its first chunk (its status was already 200). */
  streamFailed: (error: GeminiError) => void;
}

/** Paths answered without a client token (load balancers and orchestrators probe them). */
export const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/** Paths answered in OpenAI's error format rather than Gemini's: OpenAI's own path list decides. */
export { isOpenAiPath } from './openai/paths.js';

const GEMINI_JSON = 'application/json; charset=UTF-8';
const OPENAI_JSON = 'application/json; charset=utf-8';

/** The RPC status name for an HTTP status the gateway itself answers with. */
function rpcStatusFor(status: number): RpcStatus {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408) return 'DEADLINE_EXCEEDED';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status === 503) return 'UNAVAILABLE';
  if (status >= 500) return 'INTERNAL';
  return 'INVALID_ARGUMENT';
}

/** A Gemini-format error body (`{"error": {code, message, status}}`) as text. */
export function geminiErrorText(status: number, message: string): string {
  return renderErrorBody(errorEnvelope(rpcStatusFor(status), message, undefined, status));
}

/**
 * Answers a failure found before any upstream call (auth, body, route) in the format of the path:
 * OpenAI's `{"error": {message, type, param, code}}` on OpenAI paths, Gemini's envelope elsewhere.
 * `kind` is gemwarden's name for it, sent as the OpenAI `code` and in `x-gemwarden-kind`.
 */
export function rejectRequest(
  pathname: string,
  status: number,
  message: string,
  kind: string,
  headers: Record<string, string> = {},
): Response {
  return toFetchResponse(rejection(pathname, status, message, kind, headers));
}

/** `rejectRequest` before it becomes a `Response` (for the gateway's Node edge, which writes it itself). */
export function rejection(
  pathname: string,
  status: number,
  message: string,
  kind: string,
  headers: Record<string, string> = {},
): GeminiAnswer {
  const common = { 'x-gemwarden-attempts': '0', 'x-gemwarden-kind': kind, ...headers };
  if (isOpenAiPath(pathname)) {
    const type =
      status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : 'invalid_request_error';
    return {
      status,
      headers: { 'content-type': OPENAI_JSON, ...common },
      body: JSON.stringify(openAiError(message, type, kind)),
    };
  }
  return { status, headers: { 'content-type': GEMINI_JSON, ...common }, body: geminiErrorText(status, message) };
}
