// A GeminiError as an HTTP answer in Gemini's own format: upstream's body when it sent a JSON error,
// else an envelope built from the error; gemwarden's kind and explanation ride along in `gemwarden`.
import { explain, isGeminiError, type GeminiError } from '../errors/index.js';
import { errorEnvelope, HTTP_TO_STATUS, isRpcStatus, type ErrorEnvelope } from '../wire/index.js';

/** The HTTP status to answer with for a failure that may have had none (timeouts, network). */
export function httpStatusFor(error: GeminiError): number {
  if (error.httpStatus !== undefined && error.httpStatus >= 400) return error.httpStatus;
  switch (error.kind) {
    case 'timeout':
    case 'deadline_exceeded':
      return 504;
    case 'network':
    case 'unavailable':
      return 503;
    case 'cancelled':
      return 499;
    case 'blocked':
    case 'truncated':
    case 'invalid_request':
    case 'input_too_large':
    case 'location_unsupported':
      return 400;
    case 'rate_limited':
    case 'quota_exhausted':
      return 429;
    case 'permission_denied':
      return 403;
    case 'api_key_invalid':
      return 400;
    case 'not_found':
      return 404;
    default:
      return 500;
  }
}

export interface GemwardenErrorInfo {
  kind: string;
  retryable: boolean;
  retryAfterMs: number | null;
  title: string;
  explanation: string;
  remedies: string[];
  model: string | null;
  attempts: number;
}

export function gemwardenInfo(error: GeminiError): GemwardenErrorInfo {
  const data = explain(error);
  return {
    kind: data.kind,
    retryable: data.retryable,
    retryAfterMs: data.retryAfterMs,
    title: data.title,
    explanation: data.explanation,
    remedies: data.remedies,
    model: data.model,
    attempts: error.attempts.length,
  };
}

/** The Gemini-format error body for a failure, with gemwarden's explanation added. */
export function geminiErrorBody(error: GeminiError): ErrorEnvelope & { error: { gemwarden: GemwardenErrorInfo } } {
  const status = httpStatusFor(error);
  const rpc =
    error.status && isRpcStatus(error.status) && error.status !== 'OK'
      ? error.status
      : (HTTP_TO_STATUS[status] ?? 'UNKNOWN');
  const envelope = errorEnvelope(
    rpc,
    upstreamMessage(error),
    error.details.length ? [...error.details] : undefined,
    status,
  );
  return { error: { ...envelope.error, gemwarden: gemwardenInfo(error) } };
}

/**
 * The message as the upstream wrote it. Giving up wraps the last error with a note in its message
 * ("… (gave up after 3 attempts)") for library callers; an HTTP client of the gateway gets Google's
 * own words instead (apps match them), and the count rides in the `gemwarden` member. The wrapped
 * originals are on the `cause` chain: the first error there of the same status is the upstream's.
 */
function upstreamMessage(error: GeminiError): string {
  let current = error;
  while (isGeminiError(current.cause) && current.cause.httpStatus === error.httpStatus) current = current.cause;
  return current.message;
}
