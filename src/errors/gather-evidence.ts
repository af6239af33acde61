// Step 1 of classify: gather the evidence a failure carries, whatever its form (HTTP answer, stream
// frame, thrown error of any SDK, pasted text, an unusable 200 answer), without judging it yet.
import {
  DETAIL_TYPES,
  readErrorEnvelope,
  type ErrorDetail,
  type ErrorStatus,
  type StreamFrame,
} from '../wire/index.js';
import { findEmbeddedValues } from './embedded-json.js';
import type { ErrorSource } from './gemini-error.js';
import { looksLikeResponse } from './response-check.js';
import type { HeaderBag } from './retry-delay.js';
import {
  camelizeKeys,
  errorInfoFromProtoText,
  exceptionNamesInText,
  readCutEnvelope,
  readPrintedResponse,
} from './printed-forms.js';
import {
  CANCEL_PHRASES,
  defaultHttpStatus,
  httpStatusFromText,
  networkCodeFromText,
  rpcStatusFromText,
  TIMEOUT_PHRASES,
} from './text-evidence.js';

/** An HTTP answer: status, headers and the body as text (or already parsed). */
export interface HttpFailure {
  status: number;
  headers?: HeaderBag;
  body?: unknown;
}

/** Everything gathered about a failure before its kind is decided. */
export interface Evidence {
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
  /** True when an error body from the server was read (so a status in it was the server's answer). */
  answered?: boolean;
  /** Names of the wrapped errors, outermost first (SDK wrappers, exception classes printed in text). */
  causeNames?: string[];
}

export function isHttpFailure(value: unknown): value is HttpFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as HttpFailure).status === 'number' &&
    !('error' in value)
  );
}

/** The evidence in any input; reads anything it does not recognise as text. */
export function gatherEvidence(input: unknown): Evidence {
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
  // What is left is a primitive (number, boolean, bigint, symbol) or nothing.
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint')
    return fromText(String(input), 'text');
  return fromText(typeof input === 'symbol' ? input.toString() : '', 'text');
}

export function safeStringify(value: unknown): string {
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
    answered: true,
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

/**
 * The chain of wrapped errors, outermost first: `cause`, and `lastError` of retry wrappers (the AI
 * SDK's RetryError), at most 8 deep. The innermost one that carries an HTTP answer speaks for all.
 */
function errorChain(error: Error): Array<Record<string, unknown>> {
  const chain: Array<Record<string, unknown>> = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 8 && !chain.includes(current as never)) {
    const record = current as Record<string, unknown>;
    chain.push(record);
    current = record.lastError ?? record.cause;
  }
  return chain;
}

function httpStatusOf(record: Record<string, unknown>): number | undefined {
  return [
    record.status,
    record.statusCode,
    record.code,
    (record.response as Record<string, unknown> | undefined)?.status,
  ].find((value) => typeof value === 'number' && value >= 400 && value <= 599) as number | undefined;
}

function bodyOf(record: Record<string, unknown>): string | undefined {
  // SDK errors carry the answer as properties: responseBody (AI SDK), response.data (axios), body, errorDetails.
  const body = record.responseBody ?? (record.response as Record<string, unknown> | undefined)?.data ?? record.body;
  const parts: string[] = [];
  if (typeof body === 'string' && body) parts.push(body);
  else if (body && typeof body === 'object') parts.push(safeStringify(body));
  if (Array.isArray(record.errorDetails)) parts.push(safeStringify(record.errorDetails));
  return parts.length ? parts.join('\n') : undefined;
}

function fromThrown(error: Error): Evidence {
  const chain = errorChain(error);
  // The innermost error with an HTTP answer decides; wrappers around it (a ServiceUnavailableError
  // around a 400, a RetryError around the last attempt) only add their words.
  const answering = [...chain].reverse().find((record) => httpStatusOf(record) !== undefined || bodyOf(record));
  const texts: string[] = [];
  const codes: string[] = [];
  for (const record of answering ? [answering, ...chain.filter((item) => item !== answering)] : chain) {
    if (typeof record.message === 'string')
      texts.push(`${typeof record.name === 'string' ? record.name : 'Error'}: ${record.message}`);
    const body = bodyOf(record);
    if (body) texts.push(body);
    if (typeof record.code === 'string') codes.push(record.code);
  }
  const evidence = fromText([...texts, ...codes].join('\n'), 'text');
  const statusProp = answering ? httpStatusOf(answering) : undefined;
  if (statusProp !== undefined && evidence.httpStatus === undefined) evidence.httpStatus = statusProp;
  // A status property alone may be a wrapper's guess (a 503 class around a refused connection); an
  // answer is there only when the error also carries the body the server sent.
  if (statusProp !== undefined && answering && bodyOf(answering)) evidence.answered = true;
  const headersOwner = answering ?? chain[0]!;
  const headers = (headersOwner.responseHeaders ?? headersOwner.headers) as HeaderBag;
  if (headers && typeof headers === 'object') evidence.headers = headers;
  evidence.causeNames = chain.map((record) => errorName(record));
  if (chain.some((record) => record.name === 'AbortError' || record.code === 20)) evidence.cancelled = true;
  if (chain.some((record) => record.name === 'TimeoutError')) evidence.timeout = true;
  if (evidence.httpStatus === undefined && evidence.status === undefined) {
    if (evidence.cancelled) evidence.source = 'abort';
    else if (evidence.timeout) evidence.source = 'timeout';
    else if (evidence.networkCode) evidence.source = 'network';
  }
  return evidence;
}

function errorName(record: Record<string, unknown>): string {
  const name = typeof record.name === 'string' && record.name !== 'Error' ? record.name : undefined;
  const constructorName = (record.constructor as { name?: unknown } | undefined)?.name;
  return name ?? (typeof constructorName === 'string' && constructorName !== 'Object' ? constructorName : 'Error');
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
  if (!best) {
    // A body cut off mid-paste: what survives of it still beats the surrounding words.
    const cut = readCutEnvelope(text);
    if (cut) best = fromEnvelope(cut, source, text);
  }
  if (!best && found.response !== undefined) {
    const response = camelizeKeys(found.response);
    return { source: 'response', httpStatus: 200, message: '', details: [], text, raw: text, response };
  }
  if (!best) {
    const printed = readPrintedResponse(text);
    if (printed)
      return { source: 'response', httpStatus: 200, message: '', details: [], text, raw: text, response: printed };
  }
  const evidence: Evidence = best ?? { source, message: firstMeaningfulLine(text), details: [], text, raw: text };
  evidence.details = [...evidence.details, ...found.details];
  if (!evidence.details.some((detail) => detail['@type'] === DETAIL_TYPES.errorInfo)) {
    const printedInfo = errorInfoFromProtoText(text);
    if (printedInfo) evidence.details.push(printedInfo);
  }
  evidence.text = text;
  evidence.raw = text;
  evidence.causeNames = exceptionNamesInText(text);
  // Inside a body the server's own status counts; the class name of a wrapper printed around it does not.
  if (evidence.answered && evidence.httpStatus === undefined && evidence.status)
    evidence.httpStatus = defaultHttpStatus(evidence.status);
  evidence.httpStatus ??= httpStatusFromText(text) ?? leadingStatusLine(text);
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
  if (isBareStatus(value)) {
    // The inside of an envelope printed without its {"error": …} wrapper (some apps log only that).
    found.envelopes.push(readErrorEnvelope({ error: value })!);
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
  if (!Array.isArray(value) && typeof (value as { '@type'?: unknown })['@type'] === 'string') {
    // A lone detail, e.g. the one complete object left in a body cut off mid-paste.
    if (String((value as { '@type': string })['@type']).includes('google.rpc.'))
      found.details.push(value as ErrorDetail);
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

/**
 * A google.rpc.Status object on its own: a numeric HTTP error code, a message and an upper-case
 * status name, e.g. `{"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}`.
 */
function isBareStatus(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.code === 'number' &&
    record.code >= 400 &&
    record.code <= 599 &&
    typeof record.message === 'string' &&
    typeof record.status === 'string' &&
    /^[A-Z][A-Z_]+$/.test(record.status)
  );
}

/** A line that is only an HTTP error code, as some apps print the status above the message. */
const STATUS_LINE = /^(?:HTTP\s+)?([45]\d\d)$/;

/** The HTTP status printed alone on the first non-empty line, or undefined. */
function leadingStatusLine(text: string): number | undefined {
  const first = text.split('\n').find((part) => part.trim().length > 0);
  const code = first ? STATUS_LINE.exec(first.trim())?.[1] : undefined;
  return code ? Number(code) : undefined;
}

function firstMeaningfulLine(text: string): string {
  const line =
    text
      .split('\n')
      .map((part) => part.trim())
      .find((part) => part.length > 0 && !STATUS_LINE.test(part)) ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
