// What a failure is about. The remedies branch on this, never on message text: a key is taken out of
// service only when the key or its project is at fault, a model only when that model is (design habit 12).
import type { ErrorKind } from './kinds.js';

/**
 * What a failure is about: decides which remedy may act.
 * - `request`: the request itself is wrong (400 INVALID_ARGUMENT, a bad field, too large, blocked content).
 * - `resource`: a file, cachedContent, tuned model, batch … is missing, expired or another project's.
 * - `key`: the API key itself: invalid, expired, blocked for this service, the wrong kind of credential.
 * - `project`: the key's project: suspended, API disabled, billing, location, daily quota spent.
 * - `model`: this model only: not found or retired, no access for this key or project.
 * - `capacity`: Google's side: 500/503/504, overloaded, shared capacity exhausted, per-minute quota.
 * - `network`: no answer: connection refused or reset, DNS, a timeout before any answer.
 * - `caller`: the caller's own abort.
 * - `unknown`: nothing says.
 */
export type Blame =
  'request' | 'resource' | 'key' | 'project' | 'model' | 'capacity' | 'network' | 'caller' | 'unknown';

export const BLAMES: readonly Blame[] = [
  'request',
  'resource',
  'key',
  'project',
  'model',
  'capacity',
  'network',
  'caller',
  'unknown',
];

export function isBlame(value: unknown): value is Blame {
  return typeof value === 'string' && (BLAMES as readonly string[]).includes(value);
}

/**
 * The blame a kind carries when nothing more specific is known (an error made by hand, not by
 * `classify`). `classify` refines it from ErrorInfo reasons, QuotaFailure and resource names.
 */
export function defaultBlame(kind: ErrorKind): Blame {
  switch (kind) {
    case 'invalid_request':
    case 'input_too_large':
    case 'blocked':
    case 'truncated':
      return 'request';
    case 'api_key_invalid':
      return 'key';
    case 'location_unsupported':
    case 'permission_denied':
    case 'quota_exhausted':
      return 'project';
    case 'not_found':
      return 'model';
    case 'rate_limited':
    case 'internal':
    case 'unavailable':
    case 'deadline_exceeded':
    case 'malformed_response':
      return 'capacity';
    case 'timeout':
    case 'network':
      return 'network';
    case 'cancelled':
      return 'caller';
    case 'unknown':
      return 'unknown';
  }
}
