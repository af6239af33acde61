// One error class for every Gemini failure. `kind` is what code branches on; everything upstream
// said (status, message, details, raw body) is kept as data so nothing is lost.
import type { ErrorDetail, HelpLink, FieldViolation } from '../wire/index.js';
import type { ErrorKind } from './kinds.js';
import type { QuotaViolation } from './quota.js';

export type ErrorSource = 'http' | 'stream' | 'response' | 'network' | 'abort' | 'timeout' | 'text';

/** One attempt of a request, as the client records it. */
export interface AttemptRecord {
  model: string;
  keyHint: string;
  kind?: ErrorKind;
  status?: number;
  waitedMs: number;
  durationMs: number;
}

export interface GeminiErrorData {
  kind: ErrorKind;
  retryable: boolean;
  source: ErrorSource;
  /** Upstream's message (keys redacted), or ours when upstream gave none. */
  message: string;
  httpStatus?: number;
  /** The google.rpc status name, e.g. RESOURCE_EXHAUSTED. */
  status?: string;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  quota: QuotaViolation[];
  /** Earliest useful retry: the server's delay, or for a per-day quota the time until its reset. */
  retryAfterMs?: number;
  /** The delay the server stated (RetryInfo, message or header), as it stated it. */
  serverRetryDelayMs?: number;
  /** For a spent per-day quota: when it resets (next midnight Pacific), epoch ms. */
  resetAt?: number;
  helpLinks: HelpLink[];
  fieldViolations: FieldViolation[];
  details: ErrorDetail[];
  /** The body as received (JSON text, HTML, or the pasted text), keys redacted. */
  raw?: string;
  model?: string;
  keyHint?: string;
  finishReason?: string;
  blockReason?: string;
  /** Text that reached the caller before a stream failed. */
  partialText?: string;
}

export class GeminiError extends Error implements GeminiErrorData {
  override readonly name = 'GeminiError';
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly source: ErrorSource;
  readonly httpStatus?: number;
  readonly status?: string;
  readonly reason?: string;
  readonly domain?: string;
  readonly metadata?: Record<string, string>;
  readonly quota: QuotaViolation[];
  readonly retryAfterMs?: number;
  readonly serverRetryDelayMs?: number;
  readonly resetAt?: number;
  readonly helpLinks: HelpLink[];
  readonly fieldViolations: FieldViolation[];
  readonly details: ErrorDetail[];
  readonly raw?: string;
  model?: string;
  keyHint?: string;
  readonly finishReason?: string;
  readonly blockReason?: string;
  partialText?: string;
  /** Every attempt the client made before giving up (empty for a classified error alone). */
  attempts: AttemptRecord[] = [];

  constructor(data: GeminiErrorData, options?: { cause?: unknown }) {
    super(data.message, options);
    this.kind = data.kind;
    this.retryable = data.retryable;
    this.source = data.source;
    this.quota = data.quota;
    this.helpLinks = data.helpLinks;
    this.fieldViolations = data.fieldViolations;
    this.details = data.details;
    const optional = [
      'httpStatus',
      'status',
      'reason',
      'domain',
      'metadata',
      'retryAfterMs',
      'serverRetryDelayMs',
      'resetAt',
      'raw',
      'model',
      'keyHint',
      'finishReason',
      'blockReason',
      'partialText',
    ] as const;
    for (const field of optional) {
      if (data[field] !== undefined) (this as Record<string, unknown>)[field] = data[field];
    }
  }

  /** The data without the stack, for JSON output and logs. */
  toJSON(): GeminiErrorData & { attempts: AttemptRecord[] } {
    const { kind, retryable, source, message, quota, helpLinks, fieldViolations, details, attempts } = this;
    const out: Record<string, unknown> = {
      kind,
      retryable,
      source,
      message,
      quota,
      helpLinks,
      fieldViolations,
      details,
      attempts,
    };
    for (const field of [
      'httpStatus',
      'status',
      'reason',
      'domain',
      'metadata',
      'retryAfterMs',
      'serverRetryDelayMs',
      'resetAt',
      'raw',
      'model',
      'keyHint',
      'finishReason',
      'blockReason',
      'partialText',
    ] as const) {
      if (this[field] !== undefined) out[field] = this[field];
    }
    return out as unknown as GeminiErrorData & { attempts: AttemptRecord[] };
  }
}

export function isGeminiError(value: unknown): value is GeminiError {
  return value instanceof GeminiError;
}
