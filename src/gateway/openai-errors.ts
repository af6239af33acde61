// Errors on the OpenAI-compatible routes, in OpenAI's error format with gemwarden's explanation.
import { gemwardenInfo, httpStatusFor } from '../client/index.js';
import type { ErrorKind, GeminiError } from '../errors/index.js';

const TYPES: Partial<Record<ErrorKind, string>> = {
  invalid_request: 'invalid_request_error',
  input_too_large: 'invalid_request_error',
  blocked: 'invalid_request_error',
  truncated: 'invalid_request_error',
  location_unsupported: 'permission_error',
  api_key_invalid: 'authentication_error',
  permission_denied: 'permission_error',
  not_found: 'not_found_error',
  rate_limited: 'rate_limit_error',
  quota_exhausted: 'insufficient_quota',
  timeout: 'timeout',
  deadline_exceeded: 'timeout',
};

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; gemwarden?: unknown };
}

export function openAiError(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

export function openAiErrorFor(error: GeminiError): { status: number; body: OpenAiErrorBody } {
  const body = openAiError(error.message, TYPES[error.kind] ?? 'api_error', error.kind);
  body.error.gemwarden = gemwardenInfo(error);
  return { status: httpStatusFor(error), body };
}
