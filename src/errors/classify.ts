// classify(): any failure in, one GeminiError out, in three steps: gather the evidence
// (gather-evidence.ts), decide the kind (decide-kind.ts), build the error (build-error.ts).
// Structured evidence (status, details, reasons) decides first; message text is read only when
// structure is missing.
import type { ErrorEnvelope, GenerateContentResponse, StreamFrame } from '../wire/index.js';
import { realClock, type Clock } from '../time/index.js';
import { buildError, buildResponseError } from './build-error.js';
import { decideKind } from './decide-kind.js';
import { gatherEvidence, type HttpFailure } from './gather-evidence.js';
import { GeminiError } from './gemini-error.js';

export type { HttpFailure } from './gather-evidence.js';

/**
 * What classify reads: an HTTP answer (status, headers, body), a stream frame, an error thrown by
 * any SDK or by fetch (its properties and `cause` chain are read too), pasted text or bytes (log
 * lines, Python reprs, bodies inside other messages), an error envelope or a 200 answer as parsed JSON.
 */
export type ClassifyInput =
  HttpFailure | { frame: StreamFrame } | Error | string | Uint8Array | ErrorEnvelope | GenerateContentResponse;

export interface ClassifyContext {
  /** The model the request named (kept on the error when the answer does not name one). */
  model?: string;
  /** Last 4 characters of the key used. */
  keyHint?: string;
  /** Keys to redact from texts, besides anything shaped like a Google API key. */
  secrets?: readonly string[];
  /** Where the time comes from (for Retry-After dates and per-day quota resets); the real clock by default. */
  clock?: Pick<Clock, 'now'>;
  /** The instant to classify at, epoch ms; overrides `clock`. */
  now?: number;
  /**
   * The length of a compressed quota day, ms, when the caller paces against a server that compresses
   * it (the emulator; see QuotaWindows). A per-day quota then resets after the server's retry delay,
   * at most one such day, instead of at midnight Pacific (Gemini's real reset).
   */
  quotaDayMs?: number;
  /** The caller asked for JSON output (a cut JSON answer then counts as truncated). */
  expectJson?: boolean;
}

/**
 * One GeminiError for any failure (see `ClassifyInput`). Never throws: what it cannot read becomes
 * kind `unknown`. Anything thrown (`unknown` in a catch) is accepted too; prefer `toGeminiError` at
 * the edges, which also passes GeminiErrors through unchanged.
 */
export function classify(input: ClassifyInput, context?: ClassifyContext): GeminiError;
export function classify(input: unknown, context?: ClassifyContext): GeminiError;
export function classify(input: unknown, context: ClassifyContext = {}): GeminiError {
  try {
    const now = context.now ?? (context.clock ?? realClock).now();
    const evidence = gatherEvidence(input);
    if (evidence.response !== undefined && evidence.httpStatus === 200 && !evidence.status) {
      return buildResponseError(evidence, context);
    }
    return buildError(evidence, decideKind(evidence), context, now, input);
  } catch (failure) {
    // classify must never throw: a failure to read the input is itself an unknown error.
    return new GeminiError({
      kind: 'unknown',
      source: 'text',
      message: `Could not read the error: ${String(failure)}`,
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
