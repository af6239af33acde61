// Hints read from text when no structured body tells the story: HTTP codes and status names as
// SDKs and logs print them, exception class names, ErrorInfo reasons, network error codes.
import { HTTP_TO_STATUS, isRpcStatus, STATUS_TO_HTTP } from '../wire/index.js';

const HTTP_CODE_PATTERNS: RegExp[] = [
  /\[(\d{3})(?: [A-Za-z' ]+)?\]/, // [429 Too Many Requests]
  /got status:?\s*(\d{3})/i,
  /\bstatus[_ ]?code["']?\s*[:=]\s*["']?(\d{3})\b/i,
  /\b(?:http[_ ]?)?status["']?\s*[:=]\s*["']?(\d{3})\b/i,
  /\bError code:?\s*(\d{3})\b/i,
  /\bHTTP(?:\/[\d.]+)?\s+(\d{3})\b/i,
  /\b(\d{3})\s+(?:INVALID_ARGUMENT|FAILED_PRECONDITION|PERMISSION_DENIED|NOT_FOUND|RESOURCE_EXHAUSTED|CANCELLED|INTERNAL|UNAVAILABLE|DEADLINE_EXCEEDED|UNAUTHENTICATED)\b/,
  /\b(\d{3})\s+(?:Too Many Requests|Service Unavailable|Internal Server Error|Bad Request|Forbidden|Not Found|Gateway Timeout|Bad Gateway|Unauthorized|Payload Too Large|Request Timeout|Request Entity Too Large)\b/i,
  /(?:Error|Exception|Exhausted|Unavailable|Exceeded|Denied|Argument|Precondition|Requests|Timeout)\b:?\s+(\d{3})\b/,
  /<title>\s*(?:Error\s+)?(\d{3})\b/i,
  /\bcode["']?\s*[:=]\s*["']?(\d{3})\b/,
];

const EXCEPTION_STATUS: Array<[RegExp, number]> = [
  [/\bResourceExhausted\b|\bTooManyRequests\b|\bRateLimitError\b/, 429],
  [/\bServiceUnavailable(?:Error)?\b/, 503],
  [/\bInternalServerError\b/, 500],
  [/\bDeadlineExceeded\b|\bGatewayTimeout\b/, 504],
  [/\bPermissionDenied(?:Error)?\b|\bForbidden\b/, 403],
  [/\bInvalidArgument\b|\bBadRequest(?:Error)?\b/, 400],
  [/\bNotFound(?:Error)?\b/, 404],
  [/\bUnauthenticated\b|\bAuthenticationError\b/, 401],
  [/\bBadGateway\b/, 502],
];

/** The HTTP status a text names, or undefined. Only codes that are HTTP errors count. */
export function httpStatusFromText(text: string): number | undefined {
  for (const pattern of HTTP_CODE_PATTERNS) {
    const match = pattern.exec(text);
    const code = match ? Number(match[1]) : Number.NaN;
    if (code >= 400 && code <= 599) return code;
  }
  for (const [pattern, code] of EXCEPTION_STATUS) if (pattern.test(text)) return code;
  return undefined;
}

const RPC_NAME =
  /\b(?:StatusCode\.)?(INVALID_ARGUMENT|FAILED_PRECONDITION|PERMISSION_DENIED|NOT_FOUND|RESOURCE_EXHAUSTED|CANCELLED|DEADLINE_EXCEEDED|UNAUTHENTICATED|UNAVAILABLE|INTERNAL|OUT_OF_RANGE|UNIMPLEMENTED|ABORTED|DATA_LOSS)\b/;

export function rpcStatusFromText(text: string): string | undefined {
  const match = RPC_NAME.exec(text);
  return match && isRpcStatus(match[1]) ? match[1] : undefined;
}

export function defaultHttpStatus(status: string): number | undefined {
  return isRpcStatus(status) ? STATUS_TO_HTTP[status] : undefined;
}

export function defaultRpcStatus(httpStatus: number): string | undefined {
  return (
    HTTP_TO_STATUS[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : httpStatus >= 400 ? 'INVALID_ARGUMENT' : undefined)
  );
}

export const KNOWN_REASONS = [
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
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
  'RATE_LIMIT_EXCEEDED',
  'RESOURCE_PROJECT_INVALID',
  'USER_PROJECT_DENIED',
  'ACCESS_TOKEN_EXPIRED',
  'ACCOUNT_STATE_INVALID',
  'LOCATION_POLICY_VIOLATED',
] as const;

const REASON_FIELD = /\breason["']?\s*[:=]\s*["']?([A-Z][A-Z0-9_]{3,})/;
const REASON_WORD = new RegExp(`\\b(${KNOWN_REASONS.join('|')})\\b`);

export function reasonFromText(text: string): string | undefined {
  return REASON_FIELD.exec(text)?.[1] ?? REASON_WORD.exec(text)?.[1];
}

const NETWORK_CODES =
  /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|ENETUNREACH|EHOSTUNREACH|ENETDOWN|EPROTO|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_CLOSED|CERT_HAS_EXPIRED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_[A-Z_]+)\b/;
const NETWORK_PHRASES =
  /fetch failed|socket hang up|other side closed|network error|NetworkError|Failed to fetch|connection (?:refused|reset|closed|aborted)|getaddrinfo|certificate has expired|self[- ]signed certificate|APIConnectionError|Connection error|ServerDisconnectedError|RemoteDisconnected|Max retries exceeded with url|Name or service not known|Temporary failure in name resolution|proxy error|TypeError: terminated|\bterminated\b|\bLoad failed\b|peer closed connection|incomplete chunked read|Response ended prematurely|IncompleteRead/i;

export function networkCodeFromText(text: string): string | undefined {
  const code = NETWORK_CODES.exec(text)?.[1];
  if (code) return code;
  return NETWORK_PHRASES.test(text) ? 'NETWORK' : undefined;
}

export const TIMEOUT_PHRASES =
  /TimeoutError|aborted due to timeout|timed? ?out|UND_ERR_(?:HEADERS|BODY)_TIMEOUT|APITimeoutError|ReadTimeout|request timeout|Timeout of \d+ms exceeded/i;
export const CANCEL_PHRASES =
  /AbortError|operation was aborted|user aborted|request was aborted|was cancell?ed|\bCANCELLED\b|Request aborted/i;
