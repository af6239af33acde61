// classify(): any failure in, one GeminiError out. Structured evidence (status, details, reasons)
// decides first; message text is read only when structure is missing.
import {
  DETAIL_TYPES,
  findDetail,
  findDetails,
  readErrorEnvelope,
  type BadRequest,
  type ErrorDetail,
  type ErrorInfo,
  type ErrorStatus,
  type Help,
  type HelpLink,
  type StreamFrame,
} from '../wire/index.js';
import { nextPacificMidnight } from '../time/index.js';
import { findEmbeddedValues } from './embedded-json.js';
import { GeminiError, type ErrorSource } from './gemini-error.js';
import { decideBlame } from './decide-blame.js';
import { isRetryableKind, type ErrorKind } from './kinds.js';
import { isLongTermQuota, violationsFromDetails, violationsFromText, type QuotaViolation } from './quota.js';
import { redactSecrets } from './redact.js';
import { inspectResponse, looksLikeResponse } from './response-check.js';
import { retryDelayFromDetails, retryDelayFromHeaders, retryDelayFromMessage, type HeaderBag } from './retry-delay.js';
import {
  CANCEL_PHRASES,
  defaultHttpStatus,
  defaultRpcStatus,
  httpStatusFromText,
  networkCodeFromText,
  reasonFromText,
  rpcStatusFromText,
  TIMEOUT_PHRASES,
} from './text-evidence.js';

/** An HTTP answer: status, headers and the body as text (or already parsed). */
export interface HttpFailure {
  status: number;
  headers?: HeaderBag;
  body?: string | unknown;
}

export type ClassifyInput = HttpFailure | { frame: StreamFrame } | Error | string | Uint8Array | unknown;

export interface ClassifyContext {
  model?: string;
  keyHint?: string;
  /** Keys to redact from texts, besides anything shaped like a Google API key. */
  secrets?: readonly string[];
  now?: number;
  /** The caller asked for JSON output (a cut JSON answer then counts as truncated). */
  expectJson?: boolean;
}

/** Everything gathered about a failure before its kind is decided. */
interface Evidence {
  source: ErrorSource;
  httpStatus?: number | undefined;
  status?: string | undefined;
  message: string;
  details: ErrorDetail[];
  headers?: HeaderBag;
  /** All text worth searching for hints (message, body, surrounding log text). */
  text: string;
  raw?: string;
  networkCode?: string;
  timeout?: boolean;
  cancelled?: boolean;
  response?: unknown;
}

const MAX_RAW_CHARS = 64_000;

export function classify(input: ClassifyInput, context: ClassifyContext = {}): GeminiError {
  try {
    return build(gather(input), context, input);
  } catch (failure) {
    // classify must never throw: a failure to read the input is itself an unknown error.
    return new GeminiError({
      kind: 'unknown',
      retryable: false,
      source: 'text',
      message: `Could not read the error: ${String(failure)}`,
      quota: [],
      helpLinks: [],
      fieldViolations: [],
      details: [],
    });
  }
}

/** Classifies a fetch Response that failed (reads its body). */
export async function classifyResponse(response: Response, context: ClassifyContext = {}): Promise<GeminiError> {
  let body = '';
  try {
    body = await response.text();
  } catch (failure) {
    return classify(failure, context);
  }
  return classify({ status: response.status, headers: response.headers, body }, context);
}

// ---------- gathering ----------

function isHttpFailure(value: unknown): value is HttpFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as HttpFailure).status === 'number' &&
    !('error' in value)
  );
}

function gather(input: unknown): Evidence {
  if (typeof input === 'string') return fromText(input, 'text');
  if (input instanceof Uint8Array) return fromText(Buffer.from(input).toString('utf8'), 'text');
  if (input instanceof Error || isErrorLike(input)) return fromThrown(input as Error);
  if (typeof input === 'object' && input !== null && 'frame' in input)
    return fromFrame((input as { frame: StreamFrame }).frame);
  if (isHttpFailure(input)) return fromHttp(input);
  if (typeof input === 'object' && input !== null) {
    const envelope = readErrorEnvelope(input);
    if (envelope) return fromEnvelope(envelope, 'http', JSON.stringify(input, null, 2));
    if (looksLikeResponse(input))
      return { source: 'response', message: '', details: [], text: '', response: input, httpStatus: 200 };
    return fromText(safeStringify(input), 'text');
  }
  return fromText(String(input ?? ''), 'text');
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isErrorLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Error).message === 'string' &&
    typeof (value as Error).name === 'string' &&
    !('error' in value)
  );
}

function fromEnvelope(envelope: ErrorStatus, source: ErrorSource, raw: string, httpStatus?: number): Evidence {
  // Some layers wrap a whole error body as the message of another ("double-wrapped"): the inner one is the real error.
  const inner = innerEnvelope(envelope.message);
  const chosen = inner ?? envelope;
  const status = typeof chosen.status === 'string' && chosen.status ? chosen.status : undefined;
  const code = chosen.code >= 400 ? chosen.code : envelope.code >= 400 ? envelope.code : httpStatus;
  return {
    source,
    ...(code !== undefined ? { httpStatus: code } : {}),
    ...(status && /^[A-Z_]+$/.test(status) ? { status } : {}),
    message: chosen.message,
    details: chosen.details ?? [],
    text: `${chosen.message}\n${raw}`,
    raw,
  };
}

function innerEnvelope(message: string): ErrorStatus | undefined {
  if (!message.includes('error')) return undefined;
  for (const value of findEmbeddedValues(message)) {
    const envelope = readErrorEnvelope(value);
    if (envelope) return innerEnvelope(envelope.message) ?? envelope;
  }
  return undefined;
}

function fromHttp(failure: HttpFailure): Evidence {
  const body = failure.body;
  const text =
    typeof body === 'string'
      ? body
      : body instanceof Uint8Array
        ? Buffer.from(body).toString('utf8')
        : body === undefined
          ? ''
          : safeStringify(body);
  let parsed: unknown = typeof body === 'string' || body instanceof Uint8Array ? undefined : body;
  if (parsed === undefined && text.trim()) {
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: HTML or plain text */
    }
  }
  const envelope = parsed === undefined ? undefined : readErrorEnvelope(parsed);
  let evidence: Evidence;
  if (envelope) {
    evidence = fromEnvelope(envelope, 'http', text, failure.status);
    if (failure.status >= 400) evidence.httpStatus = failure.status;
  } else if (failure.status >= 200 && failure.status < 300 && parsed !== undefined) {
    evidence = {
      source: 'response',
      httpStatus: failure.status,
      message: '',
      details: [],
      text,
      raw: text,
      response: parsed,
    };
  } else {
    evidence = fromText(text, 'http');
    evidence.httpStatus = failure.status;
    evidence.raw = text;
    if (!evidence.message)
      evidence.message = htmlSummary(text) ?? (text.trim().slice(0, 500) || `HTTP ${failure.status}`);
  }
  if (failure.headers) evidence.headers = failure.headers;
  if (failure.status >= 200 && failure.status < 300 && parsed === undefined) {
    evidence.source = 'response';
    evidence.response = text;
  }
  return evidence;
}

function htmlSummary(text: string): string | undefined {
  if (!/<html|<!doctype/i.test(text)) return undefined;
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  const paragraph = /<p>([^<]*(?:temporary|error|try again)[^<]*)/i.exec(text)?.[1]?.trim();
  return [title, paragraph].filter(Boolean).join(' ') || 'An HTML error page';
}

function fromFrame(frame: StreamFrame): Evidence {
  if (frame.type === 'error') return fromEnvelope(frame.error, 'stream', frame.raw);
  if (frame.type === 'invalid') {
    return {
      source: 'stream',
      httpStatus: 200,
      message: 'The stream carried text that is not a valid chunk.',
      details: [],
      text: frame.raw,
      raw: frame.raw,
      response: frame.raw,
    };
  }
  return { source: 'stream', httpStatus: 200, message: '', details: [], text: '', response: frame.value };
}

function fromThrown(error: Error): Evidence {
  const record = error as unknown as Record<string, unknown>;
  const texts: string[] = [`${error.name}: ${error.message}`];
  // SDK errors carry the answer as properties: status/statusCode, responseBody, errorDetails, headers.
  const statusProp = [
    record.status,
    record.statusCode,
    record.code,
    (record.response as Record<string, unknown> | undefined)?.status,
  ].find((value) => typeof value === 'number' && value >= 400 && value <= 599) as number | undefined;
  const body = record.responseBody ?? (record.response as Record<string, unknown> | undefined)?.data ?? record.body;
  if (typeof body === 'string') texts.push(body);
  else if (body && typeof body === 'object') texts.push(safeStringify(body));
  if (Array.isArray(record.errorDetails)) texts.push(safeStringify(record.errorDetails));
  let cause: unknown = error.cause;
  const codes: string[] = [];
  for (let depth = 0; cause && depth < 5; depth++) {
    const causeRecord = cause as Record<string, unknown>;
    if (typeof causeRecord.code === 'string') codes.push(causeRecord.code);
    if (typeof causeRecord.message === 'string')
      texts.push(`${String(causeRecord.name ?? 'Error')}: ${causeRecord.message}`);
    cause = causeRecord.cause;
  }
  if (typeof record.code === 'string') codes.push(record.code);
  const evidence = fromText([...texts, ...codes].join('\n'), 'text');
  if (statusProp !== undefined && evidence.httpStatus === undefined) evidence.httpStatus = statusProp;
  const headers = (record.responseHeaders ?? record.headers) as HeaderBag;
  if (headers && typeof headers === 'object') evidence.headers = headers;
  if (error.name === 'AbortError' || (error as { code?: unknown }).code === 20) evidence.cancelled = true;
  if (error.name === 'TimeoutError') evidence.timeout = true;
  if (evidence.httpStatus === undefined && evidence.status === undefined) {
    if (evidence.cancelled) evidence.source = 'abort';
    else if (evidence.timeout) evidence.source = 'timeout';
    else if (evidence.networkCode) evidence.source = 'network';
  }
  return evidence;
}

/** Evidence from free text: embedded bodies first, then printed codes, names and phrases. */
function fromText(input: string, source: ErrorSource): Evidence {
  const text = input.length > 4_000_000 ? input.slice(0, 4_000_000) : input;
  const found: Found = { envelopes: [], details: [] };
  for (const value of findEmbeddedValues(text)) walk(value, found, 0);
  let best: Evidence | undefined;
  for (const envelope of found.envelopes) {
    const candidate = fromEnvelope(envelope, source, text);
    if (!best || score(candidate) > score(best)) best = candidate;
  }
  if (!best && found.response !== undefined) {
    return { source: 'response', httpStatus: 200, message: '', details: [], text, raw: text, response: found.response };
  }
  const evidence: Evidence = best ?? { source, message: firstMeaningfulLine(text), details: [], text, raw: text };
  evidence.details = [...evidence.details, ...found.details];
  evidence.text = text;
  evidence.raw = text;
  evidence.httpStatus ??= httpStatusFromText(text);
  evidence.status ??= rpcStatusFromText(text);
  const networkCode = networkCodeFromText(text);
  if (networkCode) evidence.networkCode = networkCode;
  if (CANCEL_PHRASES.test(text)) evidence.cancelled = true;
  if (TIMEOUT_PHRASES.test(text)) evidence.timeout = true;
  return evidence;
}

interface Found {
  envelopes: ErrorStatus[];
  details: ErrorDetail[];
  response?: unknown;
}

/** Looks through a parsed value for error envelopes, detail lists and responses, also inside strings. */
function walk(value: unknown, found: Found, depth: number): void {
  if (depth > 8 || value === null || typeof value !== 'object') {
    if (typeof value === 'string' && depth <= 8 && value.includes('{') && /error|@type|candidates/.test(value)) {
      for (const inner of findEmbeddedValues(value)) walk(inner, found, depth + 1);
    }
    return;
  }
  const envelope = readErrorEnvelope(value);
  if (envelope && !Array.isArray(value)) {
    found.envelopes.push(envelope);
    return;
  }
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'object' && item !== null && '@type' in item)
  ) {
    found.details.push(...(value as ErrorDetail[]));
    return;
  }
  if (looksLikeResponse(value)) {
    found.response ??= value;
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, found, depth + 1);
}

function score(evidence: Evidence): number {
  return evidence.details.length * 2 + (evidence.status ? 1 : 0) + (evidence.message ? 1 : 0);
}

function firstMeaningfulLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((part) => part.trim())
      .find((part) => part.length > 0) ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

// ---------- deciding ----------

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
  /overloaded|high demand|Service Unavailable|currently unavailable|\bUNAVAILABLE\b|temporarily unavailable|Bad Gateway|Server Error|try again later|temporary error/i;
const INTERNAL = /An internal error has occurred|Internal Server Error|\bINTERNAL\b|internal error/i;
const DEADLINE = /DEADLINE_EXCEEDED|Deadline expired|Deadline Exceeded|Gateway Timeout/i;
const INVALID =
  /INVALID_ARGUMENT|Invalid JSON payload|Please use a valid role|Bad Request|invalid argument|Unknown name|must be|is not valid|required field|contents is not specified|contents are required/i;
const BLOCKED =
  /content[-_ ]filter|blocked due to|Response was blocked|was blocked|blockReason|PROHIBITED_CONTENT|finish_?reason\]?(?:\([^)]*\))?(?: is|:|=)?\s*(?:3|4|5|SAFETY|RECITATION|OTHER|BLOCKLIST|SPII)\b|\bSAFETY\b|\bRECITATION\b/i;
const TRUNCATED =
  /finish[_ ]?reason["']?\s*[:=]?\s*["']?length\b|MAX_TOKENS|finish_?reason\]?(?:\([^)]*\))?(?: is|:|=)?\s*2\b/i;
const MALFORMED =
  /Incomplete JSON segment|Unexpected end of JSON|is not valid JSON|Failed to parse|malformed response|Unexpected token .* in JSON|Invalid response|empty response/i;

function decideKind(evidence: Evidence, quota: QuotaViolation[], reason: string | undefined): ErrorKind {
  const { httpStatus, status, message } = evidence;
  const text = `${message}\n${evidence.text}`;

  if (reason === 'API_KEY_INVALID' || reason === 'API_KEY_EXPIRED' || reason === 'ACCESS_TOKEN_EXPIRED')
    return 'api_key_invalid';
  if (reason && PERMISSION_REASONS.has(reason)) return 'permission_denied';
  if (reason === 'LOCATION_POLICY_VIOLATED') return 'location_unsupported';

  if (status === 'RESOURCE_EXHAUSTED' || httpStatus === 429 || reason === 'RATE_LIMIT_EXCEEDED') {
    return isLongTermQuota(quota) ? 'quota_exhausted' : 'rate_limited';
  }
  if (status === 'FAILED_PRECONDITION') return 'location_unsupported';
  if (status === 'CANCELLED' || httpStatus === 499) return 'cancelled';
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
  if (evidence.cancelled && !evidence.timeout) return 'cancelled';
  if (evidence.timeout && !DEADLINE.test(text)) return 'timeout';
  if (evidence.networkCode) return 'network';
  if (KEY_INVALID.test(text)) return 'api_key_invalid';
  if (LOCATION.test(text)) return 'location_unsupported';
  if (INPUT_TOO_LARGE.test(text)) return 'input_too_large';
  if (QUOTA.test(text)) return isLongTermQuota(quota) ? 'quota_exhausted' : 'rate_limited';
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

function build(evidence: Evidence, context: ClassifyContext, input: unknown): GeminiError {
  const now = context.now ?? Date.now();
  const secrets = context.secrets ?? [];
  const redact = (text: string) => redactSecrets(text, secrets);

  if (evidence.response !== undefined && evidence.httpStatus === 200 && !evidence.status) {
    return fromResponseEvidence(evidence, context, redact);
  }

  const errorInfo = findDetail<ErrorInfo>(evidence.details, DETAIL_TYPES.errorInfo);
  const reason = errorInfo?.reason ?? reasonFromText(evidence.text);
  let quota = violationsFromDetails(evidence.details);
  if (quota.length === 0) quota = violationsFromText(`${evidence.message}\n${evidence.text}`);
  const kind = decideKind(evidence, quota, reason);

  // RetryInfo is written in whole seconds while the message keeps the fraction ("retry in 2.46s",
  // RetryInfo "2s"): the later of the two is the earliest retry that will not be refused again.
  const fromDetails = retryDelayFromDetails(evidence.details);
  const fromMessage = retryDelayFromMessage(evidence.message) ?? retryDelayFromMessage(evidence.text);
  const serverRetryDelayMs =
    fromDetails !== undefined || fromMessage !== undefined
      ? Math.max(fromDetails ?? 0, fromMessage ?? 0)
      : retryDelayFromHeaders(evidence.headers, now);
  let retryAfterMs = serverRetryDelayMs;
  let resetAt: number | undefined;
  if (kind === 'quota_exhausted') {
    const perDay = quota.some((violation) => violation.scope === 'day' && violation.limit !== 0);
    const noQuota = quota.length > 0 && quota.every((violation) => violation.limit === 0);
    if (perDay || (!noQuota && quota.some((violation) => violation.scope === 'day'))) {
      resetAt = nextPacificMidnight(now);
      retryAfterMs = resetAt - now;
    } else {
      retryAfterMs = undefined; // no quota at all: waiting does not help
    }
  }

  const helpLinks: HelpLink[] = findDetails<Help>(evidence.details, DETAIL_TYPES.help).flatMap(
    (help) => help.links ?? [],
  );
  const fieldViolations = findDetails<BadRequest>(evidence.details, DETAIL_TYPES.badRequest).flatMap(
    (detail) => detail.fieldViolations ?? [],
  );
  const httpStatus = evidence.httpStatus ?? (evidence.status ? defaultHttpStatus(evidence.status) : undefined);
  const status = evidence.status ?? (httpStatus !== undefined ? defaultRpcStatus(httpStatus) : undefined);
  const source: ErrorSource = evidence.source;
  const modelFromQuota = quota.find((violation) => violation.model)?.model;
  const model = context.model ?? modelFromText(evidence.message) ?? modelFromQuota;

  const message = redact(evidence.message || fallbackMessage(kind, evidence));
  return new GeminiError(
    {
      kind,
      retryable: isRetryableKind(kind),
      source,
      blame: decideBlame({
        kind,
        reason,
        status,
        details: evidence.details,
        quota,
        message: evidence.message,
        structured: evidence.status !== undefined || evidence.details.length > 0,
      }),
      message,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(status ? { status } : {}),
      ...(reason ? { reason } : {}),
      ...(errorInfo?.domain ? { domain: errorInfo.domain } : {}),
      ...(errorInfo?.metadata ? { metadata: redactRecord(errorInfo.metadata, redact) } : {}),
      quota,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(serverRetryDelayMs !== undefined ? { serverRetryDelayMs } : {}),
      ...(resetAt !== undefined ? { resetAt } : {}),
      helpLinks,
      fieldViolations,
      details: JSON.parse(redact(JSON.stringify(evidence.details))) as ErrorDetail[],
      ...(evidence.raw ? { raw: redact(evidence.raw.slice(0, MAX_RAW_CHARS)) } : {}),
      ...(model ? { model } : {}),
      ...(context.keyHint ? { keyHint: context.keyHint } : {}),
    },
    input instanceof Error ? { cause: input } : undefined,
  );
}

function redactRecord(record: Record<string, string>, redact: (text: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, redact(String(value))]));
}

function modelFromText(message: string): string | undefined {
  return /models\/([\w.-]+)/.exec(message)?.[1]?.replace(/\.$/, '');
}

function fallbackMessage(kind: ErrorKind, evidence: Evidence): string {
  if (kind === 'network') return `Network failure (${evidence.networkCode ?? 'connection error'}).`;
  if (kind === 'timeout') return 'The request timed out on the client side.';
  if (kind === 'cancelled') return 'The request was cancelled.';
  return evidence.httpStatus ? `HTTP ${evidence.httpStatus}` : 'Unrecognised error.';
}

function fromResponseEvidence(
  evidence: Evidence,
  context: ClassifyContext,
  redact: (text: string) => string,
): GeminiError {
  const problem = inspectResponse(evidence.response, {
    finalChunk: true,
    ...(context.expectJson ? { expectJson: true } : {}),
  });
  const kind: ErrorKind = problem?.kind ?? (typeof evidence.response === 'string' ? 'malformed_response' : 'unknown');
  const message =
    problem?.message ??
    (kind === 'malformed_response'
      ? 'The body of a successful answer is not valid JSON.'
      : 'The response carries a usable answer.');
  const raw =
    evidence.raw ?? (typeof evidence.response === 'string' ? evidence.response : safeStringify(evidence.response));
  const modelVersion = (evidence.response as { modelVersion?: unknown } | undefined)?.modelVersion;
  const model = context.model ?? (typeof modelVersion === 'string' ? modelVersion : undefined);
  return new GeminiError({
    kind,
    retryable: isRetryableKind(kind),
    source: evidence.source,
    message,
    httpStatus: 200,
    status: 'OK',
    quota: [],
    helpLinks: [],
    fieldViolations: [],
    details: [],
    raw: redact(raw.slice(0, MAX_RAW_CHARS)),
    ...(problem?.finishReason ? { finishReason: problem.finishReason } : {}),
    ...(problem?.blockReason ? { blockReason: problem.blockReason } : {}),
    ...(problem?.partialText ? { partialText: problem.partialText } : {}),
    ...(model ? { model } : {}),
    ...(context.keyHint ? { keyHint: context.keyHint } : {}),
  });
}
