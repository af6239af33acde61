// The error envelope the Gemini API returns, {"error":{"code","message","status","details"}}, and
// the google.rpc detail messages it carries, each tagged by its "@type" URL.
import { isRpcStatus, STATUS_TO_HTTP, type RpcStatus } from './status.js';

export const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';

export const DETAIL_TYPES = {
  retryInfo: `${TYPE_PREFIX}RetryInfo`,
  quotaFailure: `${TYPE_PREFIX}QuotaFailure`,
  errorInfo: `${TYPE_PREFIX}ErrorInfo`,
  help: `${TYPE_PREFIX}Help`,
  badRequest: `${TYPE_PREFIX}BadRequest`,
  localizedMessage: `${TYPE_PREFIX}LocalizedMessage`,
  debugInfo: `${TYPE_PREFIX}DebugInfo`,
  preconditionFailure: `${TYPE_PREFIX}PreconditionFailure`,
  resourceInfo: `${TYPE_PREFIX}ResourceInfo`,
  requestInfo: `${TYPE_PREFIX}RequestInfo`,
} as const;

export interface RetryInfo {
  '@type': typeof DETAIL_TYPES.retryInfo;
  retryDelay?: string;
}
export interface QuotaViolationWire {
  subject?: string;
  description?: string;
  quotaMetric?: string;
  quotaId?: string;
  quotaDimensions?: Record<string, string>;
  quotaValue?: string;
  futureQuotaValue?: string;
}
export interface QuotaFailure {
  '@type': typeof DETAIL_TYPES.quotaFailure;
  violations?: QuotaViolationWire[];
}
export interface ErrorInfo {
  '@type': typeof DETAIL_TYPES.errorInfo;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
}
export interface HelpLink {
  description?: string;
  url?: string;
}
export interface Help {
  '@type': typeof DETAIL_TYPES.help;
  links?: HelpLink[];
}
export interface FieldViolation {
  field?: string;
  description?: string;
  reason?: string;
}
export interface BadRequest {
  '@type': typeof DETAIL_TYPES.badRequest;
  fieldViolations?: FieldViolation[];
}
export interface LocalizedMessage {
  '@type': typeof DETAIL_TYPES.localizedMessage;
  locale?: string;
  message?: string;
}
export interface DebugInfo {
  '@type': typeof DETAIL_TYPES.debugInfo;
  stackEntries?: string[];
  detail?: string;
}
export interface UnknownDetail {
  '@type'?: string;
  [field: string]: unknown;
}

export type ErrorDetail =
  RetryInfo | QuotaFailure | ErrorInfo | Help | BadRequest | LocalizedMessage | DebugInfo | UnknownDetail;

export interface ErrorStatus {
  code: number;
  message: string;
  /** A google.rpc status name (`RpcStatus`) as a rule; kept as upstream sent it when it is not one. */
  status: string;
  details?: ErrorDetail[];
}

export interface ErrorEnvelope {
  error: ErrorStatus;
}

/** Builds an envelope; `code` follows from `status` unless given. */
export function errorEnvelope(
  status: RpcStatus,
  message: string,
  details?: ErrorDetail[],
  code: number = STATUS_TO_HTTP[status],
): ErrorEnvelope {
  const error: ErrorStatus = { code, message, status };
  if (details && details.length > 0) error.details = details;
  return { error };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an envelope from parsed JSON, leniently: the one-element array form some endpoints use,
 * a numeric-string code, and a status in any case are all accepted. Returns undefined when the
 * value is not an error envelope.
 */
export function readErrorEnvelope(value: unknown): ErrorStatus | undefined {
  const candidate: unknown = Array.isArray(value) && value.length >= 1 ? value[0] : value;
  if (!isObject(candidate) || !isObject(candidate.error)) return undefined;
  const raw = candidate.error;
  const code =
    typeof raw.code === 'number' ? raw.code : typeof raw.code === 'string' ? Number.parseInt(raw.code, 10) : Number.NaN;
  const statusText = typeof raw.status === 'string' ? raw.status : '';
  const message =
    typeof raw.message === 'string' ? raw.message : raw.message === undefined ? '' : JSON.stringify(raw.message);
  if (!Number.isFinite(code) && !statusText && !message) return undefined;
  const details = Array.isArray(raw.details) ? (raw.details.filter(isObject) as ErrorDetail[]) : undefined;
  const upper = statusText.toUpperCase();
  return {
    code: Number.isFinite(code) ? code : 0,
    message,
    status: isRpcStatus(upper) ? upper : statusText,
    ...(details ? { details } : {}),
  };
}

/** The detail of one type from a details list (the first, when several are present). */
export function findDetail<T extends ErrorDetail>(details: ErrorDetail[] | undefined, typeUrl: string): T | undefined {
  return details?.find((detail) => detail['@type'] === typeUrl) as T | undefined;
}

/** Every detail of one type. */
export function findDetails<T extends ErrorDetail>(details: ErrorDetail[] | undefined, typeUrl: string): T[] {
  return (details?.filter((detail) => detail['@type'] === typeUrl) ?? []) as T[];
}

/** Google pretty-prints error bodies with two-space indentation; we write them the same way. */
export function renderErrorBody(envelope: ErrorEnvelope): string {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}
