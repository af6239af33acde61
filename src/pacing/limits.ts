// Quota limits per model and tier. Google shows each project's real numbers only in AI Studio, so
// these defaults (the published free-tier and Tier 1 figures for the current models) apply only to
// keys whose tier is given; explicit `limits` override them, and 429s teach lower ones.
import type { Tier } from '../wire/index.js';

export interface Limits {
  /** Requests per minute. */
  rpm?: number | undefined;
  /** Input tokens per minute. */
  tpm?: number | undefined;
  /** Requests per day (the day ends at midnight Pacific). */
  rpd?: number | undefined;
  /** Requests in flight at once (per process). */
  concurrency?: number | undefined;
}

/** A project's usage tier (defined in wire/, where the API names it). */
export type { Tier };

export const DEFAULT_LIMITS: Record<Tier, Record<string, Limits>> = {
  free: {
    'gemini-2.5-pro': { rpm: 5, tpm: 250_000, rpd: 100 },
    'gemini-2.5-flash': { rpm: 10, tpm: 250_000, rpd: 250 },
    'gemini-2.5-flash-lite': { rpm: 15, tpm: 250_000, rpd: 1_000 },
    'gemini-2.0-flash': { rpm: 15, tpm: 1_000_000, rpd: 200 },
    'gemini-2.0-flash-lite': { rpm: 30, tpm: 1_000_000, rpd: 200 },
  },
  tier1: {
    'gemini-2.5-pro': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
    'gemini-2.5-flash': { rpm: 1_000, tpm: 1_000_000, rpd: 10_000 },
    'gemini-2.5-flash-lite': { rpm: 4_000, tpm: 4_000_000 },
    'gemini-2.0-flash': { rpm: 2_000, tpm: 4_000_000 },
    'gemini-2.0-flash-lite': { rpm: 4_000, tpm: 4_000_000 },
  },
  tier2: {
    'gemini-2.5-pro': { rpm: 1_000, tpm: 5_000_000, rpd: 50_000 },
    'gemini-2.5-flash': { rpm: 2_000, tpm: 3_000_000, rpd: 100_000 },
    'gemini-2.5-flash-lite': { rpm: 10_000, tpm: 10_000_000 },
    'gemini-2.0-flash': { rpm: 10_000, tpm: 10_000_000 },
    'gemini-2.0-flash-lite': { rpm: 20_000, tpm: 10_000_000 },
  },
  tier3: {
    'gemini-2.5-pro': { rpm: 2_000, tpm: 8_000_000 },
    'gemini-2.5-flash': { rpm: 10_000, tpm: 8_000_000 },
    'gemini-2.5-flash-lite': { rpm: 30_000, tpm: 30_000_000 },
    'gemini-2.0-flash': { rpm: 30_000, tpm: 30_000_000 },
    'gemini-2.0-flash-lite': { rpm: 30_000, tpm: 30_000_000 },
  },
};

/** The smaller of each limit that is set (undefined means no limit). */
export function tightest(...sources: Array<Limits | undefined>): Limits {
  const out: Limits = {};
  for (const field of ['rpm', 'tpm', 'rpd', 'concurrency'] as const) {
    const values = sources.map((source) => source?.[field]).filter((value): value is number => value !== undefined);
    if (values.length > 0) out[field] = Math.min(...values);
  }
  return out;
}

/** Configured limits win over tier defaults; learned limits can only lower them. */
export function resolveLimits(model: string, options: { tier?: Tier; configured?: Limits; learned?: Limits }): Limits {
  const base = options.configured ?? (options.tier ? DEFAULT_LIMITS[options.tier][model] : undefined);
  return tightest(base, options.learned);
}
