// Decides what a failure is about (its Blame) from structured evidence: the ErrorInfo reason,
// QuotaFailure windows and limits, and the resource names BadRequest/ResourceInfo details or the
// status message carry. Decided once here, so remedies read one field and never message text.
// Facts: google.rpc.ErrorInfo reasons of the googleapis.com domain (cloud.google.com/apis/design/errors)
// and the Gemini API troubleshooting page (ai.google.dev/gemini-api/docs/troubleshooting).
import { DETAIL_TYPES, findDetails, type BadRequest, type ErrorDetail } from '../wire/index.js';
import { defaultBlame, type Blame } from './blame.js';
import type { ErrorKind } from './kinds.js';
import type { QuotaViolation } from './quota.js';

/** ErrorInfo reasons that are about the credential itself. */
const KEY_REASONS = new Set([
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'API_KEY_ANDROID_APP_BLOCKED',
  'API_KEY_IOS_APP_BLOCKED',
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_TYPE_UNSUPPORTED',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  'CREDENTIALS_MISSING',
  'SERVICE_ACCOUNT_DISABLED',
]);

/** ErrorInfo reasons that are about the project the key belongs to. */
const PROJECT_REASONS = new Set([
  'CONSUMER_SUSPENDED',
  'CONSUMER_INVALID',
  'SERVICE_DISABLED',
  'BILLING_DISABLED',
  'USER_PROJECT_DENIED',
  'RESOURCE_PROJECT_INVALID',
  'ACCOUNT_STATE_INVALID',
  'LOCATION_POLICY_VIOLATED',
  'ORG_RESTRICTION_VIOLATION',
  'ORG_RESTRICTION_HEADER_INVALID',
]);

/** Resource collections of the Gemini API that are not models. */
const RESOURCE_NAME = /\b(?:files|cachedContents|tunedModels|batches|corpora|fileSearchStores|operations)\/[\w.-]+/;
const MODEL_NAME = /\bmodels\/[\w.-]+/;

const MODEL_REFUSES =
  /only works in thinking mode|Thinking can't be disabled for this model|(?:model|this model) does not support|is not supported (?:for|by) this model|not supported on this model/i;

/** What `decideBlame` reads. `text` is used only when `structured` is false (pasted text with no body). */
export interface BlameEvidence {
  kind: ErrorKind;
  reason?: string | undefined;
  status?: string | undefined;
  details: readonly ErrorDetail[];
  quota: readonly QuotaViolation[];
  /** The API's own status message (names resources). */
  message: string;
  /** True when the error came with a status or details, not only free text. */
  structured: boolean;
}

/** What the failure is about, from the strongest evidence present (see `Blame`). */
export function decideBlame(evidence: BlameEvidence): Blame {
  const { kind, reason, details, quota, message } = evidence;
  if (kind === 'cancelled') return 'caller';
  if (kind === 'network' || kind === 'timeout') return 'network';
  if (reason && KEY_REASONS.has(reason)) return 'key';
  if (reason && PROJECT_REASONS.has(reason)) return 'project';

  if (kind === 'quota_exhausted') return 'project';
  if (kind === 'rate_limited') return 'capacity';

  const names = resourceNames(details, message);
  if (kind === 'not_found' || kind === 'permission_denied' || kind === 'invalid_request') {
    if (names.resource) return 'resource';
    if (kind === 'not_found') return names.model ? 'model' : defaultBlame(kind);
    if (kind === 'permission_denied' && names.model) return 'model';
  }
  if (quota.length > 0 && kind === 'permission_denied') return 'project';
  // A setting this model refuses that others accept (the message is the only place it is said).
  if (kind === 'invalid_request' && MODEL_REFUSES.test(message)) return 'model';
  return defaultBlame(kind);
}

function resourceNames(details: readonly ErrorDetail[], message: string): { resource: boolean; model: boolean } {
  const texts: string[] = [message];
  for (const detail of details) {
    if (detail['@type'] === DETAIL_TYPES.resourceInfo) {
      const info = detail as { resourceType?: unknown; resourceName?: unknown };
      texts.push(`${textOf(info.resourceType)} ${textOf(info.resourceName)}`);
    }
  }
  for (const bad of findDetails<BadRequest>(details as ErrorDetail[], DETAIL_TYPES.badRequest)) {
    for (const violation of bad.fieldViolations ?? [])
      texts.push(`${violation.field ?? ''} ${violation.description ?? ''}`);
  }
  const joined = texts.join('\n');
  return { resource: RESOURCE_NAME.test(joined), model: MODEL_NAME.test(joined) };
}

/** A detail field that should be a string (google.rpc.ResourceInfo's are); anything else counts as empty. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
