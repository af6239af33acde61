// Step 3 of classify: the GeminiError built from the evidence and its kind: retry delay, quota reset,
// help links, field violations, blame, with every secret redacted.
import {
  DETAIL_TYPES,
  findDetails,
  type BadRequest,
  type ErrorDetail,
  type Help,
  type HelpLink,
} from '../wire/index.js';
import { nextPacificMidnight } from '../time/index.js';
import type { ClassifyContext } from './classify.js';
import { decideBlame } from './decide-blame.js';
import type { Decision } from './decide-kind.js';
import { safeStringify, type Evidence } from './gather-evidence.js';
import { GeminiError, type ErrorSource } from './gemini-error.js';
import { isRetryableKind, type ErrorKind } from './kinds.js';
import { redactSecrets } from './redact.js';
import { inspectResponse } from './response-check.js';
import { retryDelayFromDetails, retryDelayFromHeaders, retryDelayFromMessage } from './retry-delay.js';
import { defaultHttpStatus, defaultRpcStatus } from './text-evidence.js';
const MAX_RAW_CHARS = 64_000;

/** The error for a failure whose kind is decided; `now` (epoch ms) dates Retry-After and quota resets. */
export function buildError(
  evidence: Evidence,
  decision: Decision,
  context: ClassifyContext,
  now: number,
  input: unknown,
): GeminiError {
  const redact = redactor(context);
  const { kind, reason, errorInfo, quota } = decision;

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
      // Gemini's days end at midnight Pacific; a compressed day (a test server) ends when the server
      // says, within one such day.
      const dayMs = context.quotaDayMs;
      resetAt = dayMs === undefined ? nextPacificMidnight(now) : now + Math.min(serverRetryDelayMs ?? dayMs, dayMs);
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

function redactor(context: ClassifyContext): (text: string) => string {
  const secrets = context.secrets ?? [];
  return (text: string) => redactSecrets(text, secrets);
}

/** The error for a 200 answer (JSON, a Python repr, a stream chunk) that carries no usable answer. */
export function buildResponseError(evidence: Evidence, context: ClassifyContext): GeminiError {
  const redact = redactor(context);
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
