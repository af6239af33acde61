// One error class for every Gemini failure. `kind` is what code branches on, `blame` says which
// remedy may act; everything upstream said (status, message, details, raw body) is kept as data so
// nothing is lost. Errors are made by `createGeminiError` (or `classify`) and changed only by copying
// (`error.with`), so an error seen by one part of the program never changes under another.
//
// Sources of facts: the Gemini API troubleshooting page (https://ai.google.dev/gemini-api/docs/troubleshooting)
// for statuses and their meanings, and the google.rpc error model
// (https://cloud.google.com/apis/design/errors, google/rpc/error_details.proto) for the details.
import type { ErrorDetail, HelpLink, FieldViolation } from '../wire/index.js';
import { defaultBlame, type Blame } from './blame.js';
import { isRetryableKind, type ErrorKind } from './kinds.js';
import type { QuotaViolation } from './quota.js';

/**
 * Where the failure was seen: an HTTP error answer, an error frame in a stream, a 200 answer that is
 * not usable, no answer at all (network), the caller's abort, a client-side timeout, or pasted text.
 */
export type ErrorSource = 'http' | 'stream' | 'response' | 'network' | 'abort' | 'timeout' | 'text';

/** One attempt of a request, as the client records it. Times in milliseconds. */
export interface AttemptRecord {
  model: string;
  /** Last 4 characters of the key used, never more. */
  keyHint: string;
  kind?: ErrorKind;
  status?: number;
  /** Time waited before this attempt (backoff, pacing), ms. */
  waitedMs: number;
  /** Time the attempt itself took, ms. */
  durationMs: number;
}

/** Everything a GeminiError holds, as plain data (what `toJSON` writes). */
export interface GeminiErrorData {
  kind: ErrorKind;
  /** Whether a later attempt of the same request can succeed (perhaps after `retryAfterMs`). */
  retryable: boolean;
  /** What the failure is about: decides which remedy may act (key out, model fallback, none). */
  blame: Blame;
  source: ErrorSource;
  /** Upstream's message (keys redacted), or ours when upstream gave none. */
  message: string;
  /** HTTP status of the answer (e.g. 429), when there was one. */
  httpStatus?: number;
  /** The google.rpc status name, e.g. RESOURCE_EXHAUSTED. */
  status?: string;
  /** google.rpc.ErrorInfo reason, e.g. API_KEY_INVALID. */
  reason?: string;
  /** google.rpc.ErrorInfo domain, e.g. googleapis.com. */
  domain?: string;
  /** google.rpc.ErrorInfo metadata (values redacted). */
  metadata?: Readonly<Record<string, string>>;
  /** Quota violations from google.rpc.QuotaFailure (or the message), with their window. */
  quota: readonly QuotaViolation[];
  /** Earliest useful retry, ms from when the error was classified: the server's delay, or for a per-day quota the time until its reset. */
  retryAfterMs?: number;
  /** The delay the server stated (RetryInfo, message or Retry-After header), ms, as it stated it. */
  serverRetryDelayMs?: number;
  /** For a spent per-day quota: when it resets (next midnight Pacific), epoch ms. */
  resetAt?: number;
  /** Links from google.rpc.Help details. */
  helpLinks: readonly HelpLink[];
  /** Field violations from google.rpc.BadRequest details. */
  fieldViolations: readonly FieldViolation[];
  /** Every google.rpc detail as received (keys redacted). */
  details: readonly ErrorDetail[];
  /** The body as received (JSON text, HTML, or the pasted text), keys redacted, at most 64 000 characters. */
  raw?: string;
  /** The model the request named (or the error names). */
  model?: string;
  /** Last 4 characters of the key used, never more. */
  keyHint?: string;
  /** finishReason of a 200 answer that was not usable. */
  finishReason?: string;
  /** promptFeedback.blockReason of a 200 answer that was blocked. */
  blockReason?: string;
  /** Text that reached the caller before a stream failed. */
  partialText?: string;
  /** Every attempt the client made before giving up (empty for a classified error alone). */
  attempts: readonly AttemptRecord[];
}

/**
 * What `createGeminiError` and `error.with` take: the data, with defaults for everything that has
 * one. `retryable` defaults to what the kind says (`isRetryableKind`), `blame` to the kind's usual
 * blame (`defaultBlame`), `source` to `'text'`, every array to `[]`. `cause` is the error this one
 * wraps (kept as the standard `Error.cause`).
 */
export type GeminiErrorInit = Omit<
  GeminiErrorData,
  'retryable' | 'blame' | 'source' | 'quota' | 'helpLinks' | 'fieldViolations' | 'details' | 'attempts'
> &
  Partial<
    Pick<
      GeminiErrorData,
      'retryable' | 'blame' | 'source' | 'quota' | 'helpLinks' | 'fieldViolations' | 'details' | 'attempts'
    >
  > & {
    cause?: unknown;
  };

/** The brand two copies of gemwarden share, so each recognises the other's errors. */
const BRAND: unique symbol = Symbol.for('gemwarden.GeminiError') as never;

const OPTIONAL_FIELDS = [
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

/**
 * A failure of a Gemini API call, whatever its form (HTTP error, stream error frame, unusable 200
 * answer, network failure, abort, timeout, pasted text). Branch on `kind` and `blame`; read
 * `retryable` and `retryAfterMs` for when to try again. Make one with `createGeminiError` or
 * `classify`; change one with `with`, which returns a new error.
 */
export class GeminiError extends Error implements GeminiErrorData {
  override readonly name = 'GeminiError';
  /** Readonly like every other field (Error's own is writable): `with({ message })` makes a new error. */
  declare readonly message: string;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly blame: Blame;
  readonly source: ErrorSource;
  readonly httpStatus?: number;
  readonly status?: string;
  readonly reason?: string;
  readonly domain?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly quota: readonly QuotaViolation[];
  readonly retryAfterMs?: number;
  readonly serverRetryDelayMs?: number;
  readonly resetAt?: number;
  readonly helpLinks: readonly HelpLink[];
  readonly fieldViolations: readonly FieldViolation[];
  readonly details: readonly ErrorDetail[];
  readonly raw?: string;
  readonly model?: string;
  readonly keyHint?: string;
  readonly finishReason?: string;
  readonly blockReason?: string;
  readonly partialText?: string;
  readonly attempts: readonly AttemptRecord[];

  /** Prefer `createGeminiError`. `options.cause` is used when `init.cause` is absent. */
  constructor(init: GeminiErrorInit, options?: { cause?: unknown }) {
    const cause = 'cause' in init ? init.cause : options?.cause;
    super(init.message, cause !== undefined ? { cause } : undefined);
    this.kind = init.kind;
    this.retryable = init.retryable ?? isRetryableKind(init.kind);
    this.blame = init.blame ?? defaultBlame(init.kind);
    this.source = init.source ?? 'text';
    this.quota = init.quota ?? [];
    this.helpLinks = init.helpLinks ?? [];
    this.fieldViolations = init.fieldViolations ?? [];
    this.details = init.details ?? [];
    this.attempts = init.attempts ?? [];
    for (const field of OPTIONAL_FIELDS) {
      if (init[field] !== undefined) (this as Record<string, unknown>)[field] = init[field];
    }
  }

  /** Branded on the prototype so `isGeminiError` works across copies of the package. */
  get [BRAND](): true {
    return true;
  }

  /** `instanceof GeminiError` also recognises errors made by another copy of gemwarden. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGeminiError(value);
  }

  /**
   * A NEW error of the same class with `changes` applied; this one is left as it is. The new error's
   * `cause` is this error unless `changes.cause` says otherwise. When `changes.kind` is given without
   * `retryable` or `blame`, those follow the new kind.
   */
  with(changes: Partial<GeminiErrorInit>): GeminiError {
    const base = this.toJSON();
    const init: GeminiErrorInit = { ...base, ...changes, cause: 'cause' in changes ? changes.cause : this };
    if (changes.kind !== undefined && changes.kind !== this.kind) {
      if (changes.retryable === undefined) init.retryable = isRetryableKind(changes.kind);
      if (changes.blame === undefined) init.blame = defaultBlame(changes.kind);
    }
    const Class = this.constructor as new (init: GeminiErrorInit) => GeminiError;
    return new Class(init);
  }

  /** The data without the stack, for JSON output and logs. */
  toJSON(): GeminiErrorData {
    const { kind, retryable, blame, source, message, quota, helpLinks, fieldViolations, details, attempts } = this;
    const out: Record<string, unknown> = {
      kind,
      retryable,
      blame,
      source,
      message,
      quota,
      helpLinks,
      fieldViolations,
      details,
      attempts,
    };
    for (const field of OPTIONAL_FIELDS) {
      if (this[field] !== undefined) out[field] = this[field];
    }
    return out as unknown as GeminiErrorData;
  }
}

/**
 * Makes a GeminiError with defaults for everything that has one (see `GeminiErrorInit`).
 * Example: `createGeminiError({ kind: 'timeout', source: 'timeout', message: 'No answer in 30 s.' })`.
 */
export function createGeminiError(init: GeminiErrorInit): GeminiError {
  return new GeminiError(init);
}

/** True for a GeminiError made by this or any other copy of gemwarden (checks the shared brand). */
export function isGeminiError(value: unknown): value is GeminiError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}
