// Quota violations read from QuotaFailure details, or from the message when details are missing,
// with the window each one counts over: per-minute limits clear soon, per-day limits do not.
import { DETAIL_TYPES, findDetails, type ErrorDetail, type QuotaFailure } from '../wire/index.js';

export type QuotaScope = 'minute' | 'day' | 'unknown';

export interface QuotaViolation {
  id?: string;
  metric?: string;
  model?: string;
  limit?: number;
  scope: QuotaScope;
  dimensions?: Record<string, string>;
}

/** The window of a quota, from its id first ("…PerDay…"), then its metric or description. */
export function quotaScope(...texts: Array<string | undefined>): QuotaScope {
  for (const text of texts) {
    if (!text) continue;
    if (/per[\s_-]?day|daily|PerDay/i.test(text)) return 'day';
    if (/per[\s_-]?minute|PerMinute|_per_min/i.test(text)) return 'minute';
  }
  return 'unknown';
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

export function violationsFromDetails(details: ErrorDetail[] | undefined): QuotaViolation[] {
  const out: QuotaViolation[] = [];
  for (const failure of findDetails<QuotaFailure>(details, DETAIL_TYPES.quotaFailure)) {
    for (const violation of failure.violations ?? []) {
      const dimensions = violation.quotaDimensions;
      const limit = toNumber(violation.quotaValue);
      out.push({
        ...(violation.quotaId ? { id: violation.quotaId } : {}),
        ...(violation.quotaMetric ? { metric: violation.quotaMetric } : {}),
        ...(dimensions?.model ? { model: dimensions.model } : {}),
        ...(limit !== undefined ? { limit } : {}),
        scope: quotaScope(violation.quotaId, violation.quotaMetric, violation.description, violation.subject),
        ...(dimensions ? { dimensions } : {}),
      });
    }
  }
  return out;
}

/**
 * The violation an ErrorInfo's metadata describes when no QuotaFailure came with it
 * (`quota_metric`, `quota_limit`, `quota_limit_value`, `quota_location`, as Google's quota system writes them).
 */
export function violationsFromErrorInfo(metadata: Record<string, string>): QuotaViolation[] {
  const metric = metadata.quota_metric ?? metadata.quotaMetric;
  const id = metadata.quota_limit ?? metadata.quotaLimit;
  const limit = toNumber(metadata.quota_limit_value ?? metadata.quotaLimitValue);
  if (metric === undefined && id === undefined && limit === undefined) return [];
  return [
    {
      ...(id ? { id } : {}),
      ...(metric ? { metric } : {}),
      ...(metadata.model ? { model: metadata.model } : {}),
      ...(limit !== undefined ? { limit } : {}),
      scope: quotaScope(id, metric),
    },
  ];
}

const METRIC_IN_MESSAGE =
  /Quota exceeded for metric:\s*([^\s,]+),\s*limit:\s*(\d+)(?:,\s*model:\s*([^\s,.]+(?:\.\d+[^\s,]*)?))?/gi;
const QUOTA_ID_IN_TEXT = /\b(Generate[A-Za-z]*Per(?:Minute|Day|Hour)[A-Za-z]*(?:-[A-Za-z]+)?)\b/g;

/** Violations named in free text: the "Quota exceeded for metric: …" lines and bare quota ids. */
export function violationsFromText(text: string): QuotaViolation[] {
  const out: QuotaViolation[] = [];
  for (const match of text.matchAll(METRIC_IN_MESSAGE)) {
    const [, metric, limit, model] = match;
    out.push({
      metric: metric!,
      limit: Number(limit),
      ...(model ? { model: model.replace(/\.$/, '') } : {}),
      scope: quotaScope(metric),
    });
  }
  const ids = new Set([...text.matchAll(QUOTA_ID_IN_TEXT)].map((match) => match[1]!));
  for (const id of ids) {
    const scope = quotaScope(id);
    const unscoped = out.find((violation) => !violation.id && violation.scope === 'unknown');
    if (unscoped) {
      unscoped.id = id;
      unscoped.scope = scope;
    } else {
      out.push({ id, scope });
    }
  }
  if (out.length === 0 && /quota/i.test(text)) {
    const scope = quotaScope(text);
    const limit = /\blimit:?\s*'?(\d+)\b/i.exec(text);
    if (scope !== 'unknown' || limit) out.push({ scope, ...(limit ? { limit: Number(limit[1]) } : {}) });
  }
  return out;
}

/** True when the violations cannot clear within minutes: a per-day quota, or no quota at all. */
export function isLongTermQuota(violations: readonly QuotaViolation[]): boolean {
  return violations.some((violation) => violation.scope === 'day' || violation.limit === 0);
}
