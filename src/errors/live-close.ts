// A Live API session closed by the server, as a GeminiError. The Live API (WebSocket) has no error
// envelope: a refusal is the close frame's code and a reason that carries Google's message, cut to
// the 123 bytes a close reason may hold. Reasons seen from the real API in public reports include
// 1008 "models/… is not found for API version v1alpha, or is not supported for bidiGenerateContent.",
// 1007 "… is not supported in the live api.", 1011 "You exceeded your current quota, please check
// your plan and billing details. …", 1011 "Internal error occurred." and 1008 "Requested entity was
// not found." The reason is read as any other error text; the close code
// (RFC 6455) decides only when the reason says nothing known. Source: https://ai.google.dev/api/live
import { classify, type ClassifyContext } from './classify.js';
import type { GeminiError } from './gemini-error.js';

/** RFC 6455 close codes the Live API closes with, and the kind each means when the reason is silent. */
const KIND_BY_CODE = {
  /** Invalid frame payload data: the server could not accept what the client sent. */
  1007: 'invalid_request',
  /** Internal error: the server met a condition it could not handle. */
  1011: 'internal',
} as const;

/**
 * The failure a Live session's close frame reports: `code` is the close code, `reason` its text
 * (Google's message). Kind and blame come from the reason as `classify` reads any pasted error
 * (e.g. "API key not valid" → `api_key_invalid`/`key`, "models/x is not found" → `not_found`/`model`,
 * "You exceeded your current quota" → `rate_limited`); when the reason names nothing known, 1007
 * is `invalid_request` and 1011 `internal`; anything else stays `unknown`. Never throws.
 */
export function classifyLiveClose(code: number, reason: string, context: ClassifyContext = {}): GeminiError {
  const error = classify(reason, context);
  if (error.kind !== 'unknown') return error;
  const kind = KIND_BY_CODE[code as keyof typeof KIND_BY_CODE];
  return kind ? error.with({ kind, message: reason || `The Live session was closed with code ${code}.` }) : error;
}
