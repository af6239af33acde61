// explain(): a GeminiError in words for a person, as structured data and as terminal text.
import { CATALOGUE, specifics } from './catalogue.js';
import type { GeminiError } from './gemini-error.js';
import type { QuotaViolation } from './quota.js';

export interface Explanation {
  kind: string;
  httpStatus: number | null;
  status: string | null;
  reason: string | null;
  retryable: boolean;
  retryAfterMs: number | null;
  resetAt: string | null;
  quota: QuotaViolation[];
  model: string | null;
  title: string;
  explanation: string;
  automatic: string;
  remedies: string[];
  message: string;
  helpLinks: string[];
}

export function explain(error: GeminiError): Explanation {
  const entry = CATALOGUE[error.kind];
  const details = specifics(error);
  return {
    kind: error.kind,
    httpStatus: error.httpStatus ?? null,
    status: error.status ?? null,
    reason: error.reason ?? null,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs ?? null,
    resetAt: error.resetAt !== undefined ? new Date(error.resetAt).toISOString() : null,
    quota: error.quota,
    model: error.model ?? null,
    title: entry.title,
    explanation: [entry.meaning, ...details].join(' '),
    automatic: entry.automatic,
    remedies: entry.remedies,
    message: error.message,
    helpLinks: error.helpLinks.map((link) => link.url).filter((url): url is string => typeof url === 'string'),
  };
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
    `${style.dim('kind:')} ${data.kind}${head ? `   ${style.dim('upstream:')} ${head}` : ''}   ${style.dim('retryable:')} ${data.retryable ? style.green('yes') : style.yellow('no')}`,
  ];
  if (data.message)
    lines.push(
      `${style.dim('message:')} ${data.message.length > 400 ? `${data.message.slice(0, 400)}…` : data.message}`,
    );
  lines.push('', data.explanation, '', `${style.bold('gemwarden does:')} ${data.automatic}`, style.bold('What to do:'));
  for (const remedy of data.remedies) lines.push(`  - ${remedy}`);
  for (const url of data.helpLinks) lines.push(`  ${style.dim('see')} ${url}`);
  return lines.join('\n');
}
