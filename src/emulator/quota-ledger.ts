// Quota accounting per (project, model), the way Gemini counts it: requests per minute, input tokens
// per minute, requests per day. Windows are fixed: minutes are counted from the emulator's start in
// units of `minuteMs`; days end at midnight Pacific with the real clock, or every `dayMs` when compressed.
import { nextPacificMidnight } from '../time/index.js';
import type { Tier } from './config.js';

export type QuotaWindow = 'rpm' | 'tpm' | 'rpd';

export interface QuotaLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
  rpd?: number | undefined;
}

export interface QuotaRefusal {
  window: QuotaWindow;
  limit: number;
  /** Time until the refused window frees, ms. */
  retryAfterMs: number;
}

interface Usage {
  minute: number;
  requests: number;
  tokens: number;
  day: number;
  dayRequests: number;
}

export interface LedgerOptions {
  minuteMs: number;
  dayMs: number;
  epoch: number;
}

const REAL_DAY_MS = 86_400_000;

export class QuotaLedger {
  private usage = new Map<string, Usage>();
  /** Requests admitted per (project, model) per minute index, for checking pacing from outside. */
  private history = new Map<string, Map<number, number>>();
  /** The latest arrival time admitted, ms: windows only move forward. */
  private latest = 0;

  constructor(private readonly options: LedgerOptions) {}

  private minuteIndex(now: number): number {
    return Math.floor((now - this.options.epoch) / this.options.minuteMs);
  }

  private dayIndex(now: number): number {
    if (this.options.dayMs === REAL_DAY_MS) return nextPacificMidnight(now);
    return Math.floor((now - this.options.epoch) / this.options.dayMs);
  }

  private dayEnd(now: number): number {
    if (this.options.dayMs === REAL_DAY_MS) return nextPacificMidnight(now);
    return this.options.epoch + (this.dayIndex(now) + 1) * this.options.dayMs;
  }

  private current(key: string, now: number): Usage {
    const minute = this.minuteIndex(now);
    const day = this.dayIndex(now);
    let usage = this.usage.get(key);
    if (!usage) {
      usage = { minute, requests: 0, tokens: 0, day, dayRequests: 0 };
      this.usage.set(key, usage);
    }
    if (usage.minute !== minute) Object.assign(usage, { minute, requests: 0, tokens: 0 });
    if (usage.day !== day) Object.assign(usage, { day, dayRequests: 0 });
    return usage;
  }

  /** Admits a request (counting it) or says which window refuses it. A per-day refusal wins. */
  admit(project: string, model: string, tokens: number, limits: QuotaLimits, at: number): QuotaRefusal | undefined {
    // Arrival times can come slightly out of order (bodies read at different speeds): a window
    // never goes back, so a late one counts in the current window.
    const now = Math.max(at, this.latest);
    this.latest = now;
    const key = `${project}\u0000${model}`;
    const usage = this.current(key, now);
    const minuteEnd = this.options.epoch + (usage.minute + 1) * this.options.minuteMs;
    if (limits.rpd !== undefined && usage.dayRequests + 1 > limits.rpd) {
      return { window: 'rpd', limit: limits.rpd, retryAfterMs: this.dayEnd(now) - now };
    }
    if (limits.rpm !== undefined && usage.requests + 1 > limits.rpm) {
      return { window: 'rpm', limit: limits.rpm, retryAfterMs: minuteEnd - now };
    }
    if (limits.tpm !== undefined && usage.tokens + tokens > limits.tpm) {
      return { window: 'tpm', limit: limits.tpm, retryAfterMs: minuteEnd - now };
    }
    usage.requests++;
    usage.tokens += tokens;
    usage.dayRequests++;
    const perMinute = this.history.get(`${project}/${model}`) ?? new Map<number, number>();
    perMinute.set(usage.minute, (perMinute.get(usage.minute) ?? 0) + 1);
    this.history.set(`${project}/${model}`, perMinute);
    return undefined;
  }

  /** Admitted requests per minute index, keyed "project/model". */
  minutes(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, perMinute] of this.history)
      out[key] = Object.fromEntries([...perMinute].map(([minute, count]) => [String(minute), count]));
    return out;
  }

  reset(epoch: number): void {
    this.latest = 0;
    this.usage.clear();
    this.history.clear();
    this.options.epoch = epoch;
  }
}

export interface QuotaNames {
  metric: string;
  id: string;
}

/** The metric and quota id Google names in a 429 for a window and tier. */
export function quotaNames(window: QuotaWindow, tier: Tier): QuotaNames {
  const free = tier === 'free';
  const prefix = 'generativelanguage.googleapis.com/';
  switch (window) {
    case 'rpm':
      return free
        ? {
            metric: `${prefix}generate_content_free_tier_requests`,
            id: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          }
        : { metric: `${prefix}generate_requests_per_model`, id: 'GenerateRequestsPerMinutePerProjectPerModel' };
    case 'tpm':
      return free
        ? {
            metric: `${prefix}generate_content_free_tier_input_token_count`,
            id: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
          }
        : {
            metric: `${prefix}generate_content_paid_tier_input_token_count`,
            id: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
          };
    case 'rpd':
      return free
        ? {
            metric: `${prefix}generate_content_free_tier_requests`,
            id: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
          }
        : { metric: `${prefix}generate_requests_per_model_per_day`, id: 'GenerateRequestsPerDayPerProjectPerModel' };
  }
}
