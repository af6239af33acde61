// explain(): a GeminiError in words for a person, as structured data and as terminal text.
import { CATALOGUE, specifics } from './catalogue.js';
import { isGeminiError, type GeminiError } from './gemini-error.js';
import { exceptionNamesInText } from './printed-forms.js';
import type { QuotaViolation } from './quota.js';
import { findSituation } from './situations.js';

/**
 * A GeminiError in words for a person. `title`, `explanation`, `automatic` and `remedies` are chosen
 * by the situation the evidence shows (`situation`, e.g. `vertex_shared_capacity`), with the kind's
 * catalogue entry as the last resort. `message` is the API's own message; `cause` names the innermost
 * error the failure came wrapped in (an SDK's error class, or the last exception named in pasted text).
 */
export interface Explanation {
  kind: string;
  /** What the failure is about (request, resource, key, project, model, capacity, network, caller, unknown). */
  blame: string;
  httpStatus: number | null;
  status: string | null;
  reason: string | null;
  retryable: boolean;
  retryAfterMs: number | null;
  resetAt: string | null;
  quota: QuotaViolation[];
  model: string | null;
  /** The situation within the kind that chose the words, or null for the kind's general words. */
  situation: string | null;
  /** The innermost wrapped error's name, e.g. "APICallError" or "GeminiException", or null. */
  cause: string | null;
  title: string;
  explanation: string;
  automatic: string;
  remedies: string[];
  message: string;
  helpLinks: string[];
}

export function explain(error: GeminiError): Explanation {
  const general = CATALOGUE[error.kind];
  const situation = findSituation(error);
  const details = specifics(error);
  return {
    kind: error.kind,
    blame: error.blame,
    httpStatus: error.httpStatus ?? null,
    status: error.status ?? null,
    reason: error.reason ?? null,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs ?? null,
    resetAt: error.resetAt !== undefined ? new Date(error.resetAt).toISOString() : null,
    quota: [...error.quota],
    model: error.model ?? null,
    situation: situation?.id ?? null,
    cause: innermostCause(error),
    title: situation?.title ?? general.title,
    explanation: [situation?.meaning ?? general.meaning, ...details].join(' '),
    automatic: situation?.automatic ?? general.automatic,
    remedies: situation?.remedies ?? general.remedies,
    message: error.message,
    helpLinks: error.helpLinks.map((link) => link.url).filter((url): url is string => typeof url === 'string'),
  };
}

/**
 * The name of the innermost error a failure came wrapped in: the end of the `cause` / `lastError`
 * chain of a thrown error, or the last exception class named in pasted text before its body.
 */
export function innermostCause(error: GeminiError): string | null {
  let current: unknown = error.cause;
  let name: string | null = null;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const record = current as Record<string, unknown>;
    if (!isGeminiError(current)) {
      const own = typeof record.name === 'string' && record.name !== 'Error' ? record.name : undefined;
      const constructorName = (record.constructor as { name?: unknown } | undefined)?.name;
      name = own ?? (typeof constructorName === 'string' && constructorName !== 'Object' ? constructorName : 'Error');
    }
    current = record.lastError ?? record.cause;
  }
  if (name) return name;
  const names = error.raw ? exceptionNamesInText(error.raw) : [];
  return names[names.length - 1] ?? null;
}

export interface TextStyle {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const PLAIN: TextStyle = { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t };

/** A short multi-line explanation for a terminal or a log. */
export function explainText(error: GeminiError, style: TextStyle = PLAIN): string {
  const data = explain(error);
  const head = [data.httpStatus, data.status, data.reason]
    .filter((part) => part !== null && part !== undefined)
    .join(' ');
  const lines = [
    style.bold(style.red(data.title)),
    `${style.dim('kind:')} ${data.kind}   ${style.dim('about:')} ${data.blame}${head ? `   ${style.dim('upstream:')} ${head}` : ''}   ${style.dim('retryable:')} ${data.retryable ? style.green('yes') : style.yellow('no')}`,
  ];
  if (data.cause) lines.push(`${style.dim('cause:')} ${data.cause}`);
  if (data.message)
    lines.push(
      `${style.dim('message:')} ${data.message.length > 400 ? `${data.message.slice(0, 400)}…` : data.message}`,
    );
  lines.push('', data.explanation, '', `${style.bold('gemwarden does:')} ${data.automatic}`, style.bold('What to do:'));
  for (const remedy of data.remedies) lines.push(`  - ${remedy}`);
  for (const url of data.helpLinks) lines.push(`  ${style.dim('see')} ${url}`);
  return lines.join('\n');
}
