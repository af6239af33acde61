// When the server says to come back: RetryInfo first, then "Please retry in 28.32s" in the message,
// then the Retry-After (or retry-after-ms) header. Fractions are kept to the millisecond.
import { DETAIL_TYPES, findDetail, parseDuration, type ErrorDetail, type RetryInfo } from '../wire/index.js';

const RETRY_IN_MESSAGE = /\bretry in\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?)\b/i;
/**
 * A wrapper's own backoff printed around the error ("Retrying … in 4.0 seconds as it raised …",
 * "Retrying request to /v1/… in 0.4 seconds", "Retrying in 8s... (Attempt 4/20)", "sleeping 2.1s"):
 * the client's choice, not a delay the server asked for.
 */
const WRAPPER_BACKOFF =
  /\bRetrying\b[^\n]*?\bin\s+\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds?)\b|\bsleeping (?:for )?\d+(?:\.\d+)?\s*s\b/gi;
const RETRY_DELAY_TEXT = /retry_?delay["']?\s*[:{]\s*(?:["']?(\d+(?:\.\d+)?s)["']?|seconds:\s*(\d+))/i;

export function retryDelayFromDetails(details: ErrorDetail[] | undefined): number | undefined {
  const info = findDetail<RetryInfo>(details, DETAIL_TYPES.retryInfo);
  const ms = parseDuration(info?.retryDelay);
  return ms !== undefined && ms >= 0 ? ms : undefined;
}

export function retryDelayFromMessage(message: string | undefined): number | undefined {
  if (!message) return undefined;
  message = message.replace(WRAPPER_BACKOFF, '');
  const match = RETRY_IN_MESSAGE.exec(message);
  if (match) {
    const value = Number(match[1]);
    return Math.ceil(match[2]!.toLowerCase() === 'ms' ? value : value * 1000);
  }
  const text = RETRY_DELAY_TEXT.exec(message);
  if (text) return text[1] ? parseDuration(text[1]) : Number(text[2]) * 1000;
  return undefined;
}

export type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined;

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function retryDelayFromHeaders(headers: HeaderBag, now: number): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const after = headerValue(headers, 'retry-after')?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.ceil(Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
