// The stable list of failure kinds. Callers branch on these, never on message text.

export const ERROR_KINDS = [
  'invalid_request',
  'input_too_large',
  'api_key_invalid',
  'location_unsupported',
  'permission_denied',
  'not_found',
  'rate_limited',
  'quota_exhausted',
  'internal',
  'unavailable',
  'deadline_exceeded',
  'timeout',
  'network',
  'blocked',
  'truncated',
  'malformed_response',
  'cancelled',
  'unknown',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Kinds that a later attempt of the same request can fix (perhaps after a wait). */
const RETRYABLE: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'rate_limited',
  'internal',
  'unavailable',
  'deadline_exceeded',
  'timeout',
  'network',
  'malformed_response',
]);

export function isRetryableKind(kind: ErrorKind): boolean {
  return RETRYABLE.has(kind);
}

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value);
}
