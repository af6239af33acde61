// Step 2 of classify: the kind, decided from the evidence. Structured evidence (ErrorInfo reason,
// google.rpc status, HTTP status, quota windows) decides first; message text only when it is missing.
import { DETAIL_TYPES, findDetail, type ErrorInfo } from '../wire/index.js';
import type { Evidence } from './gather-evidence.js';
import type { ErrorKind } from './kinds.js';
import {
  isLongTermQuota,
  violationsFromDetails,
  violationsFromErrorInfo,
  violationsFromText,
  type QuotaViolation,
} from './quota.js';
import { reasonFromText } from './text-evidence.js';

/** What the evidence decides: the kind, and the reason and quota violations it was decided on. */
export interface Decision {
  kind: ErrorKind;
  /** ErrorInfo reason, or one printed in the text when no ErrorInfo exists. */
  reason: string | undefined;
  errorInfo: ErrorInfo | undefined;
  quota: QuotaViolation[];
}

/** The kind of a failure (not a usable-answer check: see build-error's response path). */
export function decideKind(evidence: Evidence): Decision {
  const errorInfo = findDetail<ErrorInfo>(evidence.details, DETAIL_TYPES.errorInfo);
  const reason = errorInfo?.reason ?? reasonFromText(evidence.text);
  let quota = violationsFromDetails(evidence.details);
  if (quota.length === 0 && errorInfo?.metadata) quota = violationsFromErrorInfo(errorInfo.metadata);
  if (quota.length === 0) quota = violationsFromText(`${evidence.message}\n${evidence.text}`);
  return { kind: kindOf(evidence, quota, reason), reason, errorInfo, quota };
}

/**
 * Words for a quota that waiting a minute does not clear: a day's or month's allowance, spent
 * credits, a spending cap, a plan limit only an administrator or a plan change lifts, a stated reset.
 */
export const LONG_TERM_QUOTA =
  /\bdaily (?:quota|limit)|\bper[ _-]?day\b|PerDay|\bmonthly (?:quota|limit|spend)|spend(?:ing)? (?:cap|limit)|credits? (?:are |have been )?(?:depleted|exhausted|used up)|prepayment credits|upgrade your plan|contact your (?:organization's )?(?:administrator|admin)|quota will reset|reached (?:your|the) (?:usage|plan|daily|monthly) limit|exhausted your capacity|(?:does not|doesn't) have a free quota tier/i;

/** The caller's own abort, in the words runtimes and SDKs use for it. */
const CALLER_ABORT =
  /AbortError|Locally cancelled|operation was aborted|user aborted|aborted by (?:the )?(?:user|caller|client)|Request aborted|This operation was aborted/i;

/** True when the quota violations say their windows: then they decide, not words around them. */
function windowsKnown(quota: readonly QuotaViolation[]): boolean {
  return quota.some((violation) => violation.scope !== 'unknown');
}

/**
 * A channel that never reached Google: DNS, refused or unreachable connections, gRPC connect
 * failures. Whatever status or timeout a wrapper prints around it, no server answered.
 */
const NEVER_CONNECTED =
  /failed to connect to all addresses|DNS resolution failed|handshaker shutdown|Failed to connect to remote host|Could not contact DNS servers|Connect Timeout Error|UND_ERR_CONNECT_TIMEOUT|ConnectTimeoutError|Cannot connect to API|\bENOTFOUND\b|\bEAI_AGAIN\b|\bECONNREFUSED\b|\bENETUNREACH\b|\bEHOSTUNREACH\b|getaddrinfo|Name or service not known|Temporary failure in name resolution|Connection refused/i;

/** A client's own words for a stream or answer that ended without a usable answer. */
const INCOMPLETE_STREAM =
  /stream ended (?:without|with an invalid chunk|with empty|prematurely|unexpectedly)|missing finish reason|MissingFinishReasonError|InvalidStreamError|EmptyStreamError|No generation chunks were returned|NoOutputGeneratedError|No output generated|empty response text|Received empty response|(?:model|API) returned an empty response|response (?:was|is) empty|no candidates (?:were )?returned|Incomplete JSON segment/i;

const PERMISSION_REASONS = new Set([
  'CONSUMER_SUSPENDED',
  'SERVICE_DISABLED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'API_KEY_ANDROID_APP_BLOCKED',
  'API_KEY_IOS_APP_BLOCKED',
  'IAM_PERMISSION_DENIED',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  'CONSUMER_INVALID',
  'BILLING_DISABLED',
  'USER_PROJECT_DENIED',
  'RESOURCE_PROJECT_INVALID',
  'ACCOUNT_STATE_INVALID',
]);

const INPUT_TOO_LARGE =
  /input token count.*exceeds|exceeds the maximum number of tokens|request payload size exceeds|payload size exceeds|request (?:entity )?too large|too many tokens|prompt is too long|context length|exceeds the context window/i;
const KEY_INVALID =
  /API key not valid|API key expired|API_KEY_INVALID|invalid api key|API key not found|API Key not found|key is invalid|API key was reported as leaked/i;
const LOCATION =
  /User location is not supported|not available in your country|not supported in your (?:country|region)|free tier is not available|enable billing|location is not supported/i;
const NOT_FOUND =
  /is not found for API version|models\/[\w.-]+ is not found|\bNOT_FOUND\b|model not found|Requested entity was not found|is not supported for (?:generateContent|streamGenerateContent|countTokens)/i;
const PERMISSION =
  /PERMISSION_DENIED|has been suspended|has not been used in project|it is disabled|are blocked|unregistered callers|does not have permission|permission denied|caller does not have|API_KEY_SERVICE_BLOCKED|SERVICE_DISABLED|CONSUMER_SUSPENDED/i;
const QUOTA =
  /RESOURCE_EXHAUSTED|Resource (?:has been )?exhausted|exceeded your current quota|Quota exceeded|Too Many Requests|rate limit|RateLimit|quota/i;
const OVERLOADED =
  /overloaded|high demand|Service Unavailable|currently unavailable|\bUNAVAILABLE\b|temporarily unavailable|Bad Gateway|(?<!Internal )Server Error|try again later|temporary error/i;
const INTERNAL = /An internal error has occurred|Internal Server Error|\bINTERNAL\b|internal error/i;
const DEADLINE = /DEADLINE_EXCEEDED|Deadline expired|Deadline Exceeded|Gateway Timeout/i;
const INVALID =
  /INVALID_ARGUMENT|Invalid JSON payload|Please use a valid role|Bad Request|invalid argument|Unknown name|must be|is not valid|required field|contents is not specified|contents are required|\bis invalid\b|Unable to submit request because/i;
const BLOCKED =
  /content[-_ ]filter|blocked due to|Response was blocked|was blocked|blockReason|PROHIBITED_CONTENT|finish_?reason\]?(?:\([^)]*\))?(?: is|:|=)?\s*(?:3|4|5|SAFETY|RECITATION|OTHER|BLOCKLIST|SPII)\b|\bSAFETY\b|\bRECITATION\b/i;
const TRUNCATED =
  /finish[_ ]?reason["']?\s*[:=]?\s*["']?length\b|MAX_TOKENS|finish_?reason\]?(?:\([^)]*\))?(?: is|:|=)?\s*2\b/i;
const MALFORMED =
  /Incomplete JSON segment|Unexpected end of JSON|is not valid JSON|Failed to parse|malformed response|Unexpected token .* in JSON|Invalid response|empty response/i;

function kindOf(evidence: Evidence, quota: QuotaViolation[], reason: string | undefined): ErrorKind {
  const { httpStatus, status, message } = evidence;
  const text = `${message}\n${evidence.text}`;

  if (reason === 'API_KEY_INVALID' || reason === 'API_KEY_EXPIRED' || reason === 'ACCESS_TOKEN_EXPIRED')
    return 'api_key_invalid';
  if (reason && PERMISSION_REASONS.has(reason)) return 'permission_denied';
  if (reason === 'LOCATION_POLICY_VIOLATED') return 'location_unsupported';

  // No server answered (DNS, refused, gRPC never connected), whatever status a wrapper prints around it.
  if (!evidence.answered && NEVER_CONNECTED.test(text)) return 'network';

  if (status === 'RESOURCE_EXHAUSTED' || httpStatus === 429 || reason === 'RATE_LIMIT_EXCEEDED') {
    return isLongTermQuota(quota) || (!windowsKnown(quota) && LONG_TERM_QUOTA.test(message))
      ? 'quota_exhausted'
      : 'rate_limited';
  }
  if (status === 'FAILED_PRECONDITION') return 'location_unsupported';
  // 499 CANCELLED in an answer the server sent: it gave up on the request (seen under load), so it
  // is transient. Without an answer it is the caller's own abort, never retried.
  if (status === 'CANCELLED' || httpStatus === 499) {
    if (CALLER_ABORT.test(text)) return 'cancelled';
    return evidence.answered || httpStatus === 499 ? 'unavailable' : 'cancelled';
  }
  if (status === 'DEADLINE_EXCEEDED' || httpStatus === 504 || httpStatus === 408) return 'deadline_exceeded';
  if (status === 'UNAUTHENTICATED' || httpStatus === 401) return 'api_key_invalid';
  if (status === 'PERMISSION_DENIED' || httpStatus === 403)
    return KEY_INVALID.test(message) ? 'api_key_invalid' : 'permission_denied';
  if (status === 'NOT_FOUND' || httpStatus === 404) return 'not_found';
  if (httpStatus === 413) return 'input_too_large';
  if (status === 'INVALID_ARGUMENT' || status === 'OUT_OF_RANGE' || httpStatus === 400) {
    if (INPUT_TOO_LARGE.test(message)) return 'input_too_large';
    if (KEY_INVALID.test(message)) return 'api_key_invalid';
    if (LOCATION.test(message)) return 'location_unsupported';
    return 'invalid_request';
  }
  if (status === 'UNAVAILABLE' || httpStatus === 503 || httpStatus === 502) return 'unavailable';
  if (status === 'INTERNAL' || status === 'UNKNOWN' || status === 'DATA_LOSS' || httpStatus === 500) return 'internal';
  if (httpStatus !== undefined && httpStatus >= 500) return 'unavailable';
  if (httpStatus !== undefined && httpStatus >= 400) return 'invalid_request';

  // No status at all: what the text says, most specific first.
  if (INCOMPLETE_STREAM.test(text)) return 'malformed_response';
  if (evidence.cancelled && !evidence.timeout) return 'cancelled';
  if (evidence.timeout && !DEADLINE.test(text)) return 'timeout';
  if (evidence.networkCode) return 'network';
  if (KEY_INVALID.test(text)) return 'api_key_invalid';
  if (LOCATION.test(text)) return 'location_unsupported';
  if (INPUT_TOO_LARGE.test(text)) return 'input_too_large';
  if (QUOTA.test(text))
    return isLongTermQuota(quota) || LONG_TERM_QUOTA.test(text) ? 'quota_exhausted' : 'rate_limited';
  if (PERMISSION.test(text)) return 'permission_denied';
  if (NOT_FOUND.test(text)) return 'not_found';
  if (DEADLINE.test(text)) return 'deadline_exceeded';
  if (OVERLOADED.test(text)) return 'unavailable';
  if (INTERNAL.test(text)) return 'internal';
  if (BLOCKED.test(text)) return 'blocked';
  if (TRUNCATED.test(text)) return 'truncated';
  if (MALFORMED.test(text)) return 'malformed_response';
  if (INVALID.test(text)) return 'invalid_request';
  if (evidence.timeout) return 'timeout';
  return 'unknown';
}
