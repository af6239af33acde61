import { describe, expect, it } from 'vitest';
import { classify, GeminiError, type ErrorKind } from '../errors/index.js';
import { backoffDelay } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { KeyPool } from './key-pool.js';
import { POLICY_DEFAULTS, resolvePolicy } from './options.js';
import { RetryBudget } from './retry-budget.js';
import { decide, type AttemptContext } from './rules.js';
import { attemptTimeout, firstChunkTimeout, serverTimeoutSeconds } from './timeout-ladder.js';

function failure(kind: ErrorKind, extra: Partial<ConstructorParameters<typeof GeminiError>[0]> = {}): GeminiError {
  return new GeminiError({
    kind,
    retryable: false,
    source: 'http',
    message: kind,
    quota: [],
    helpLinks: [],
    fieldViolations: [],
    details: [],
    ...extra,
  });
}

const NOW = 1_000_000;
function context(extra: Partial<AttemptContext> = {}): AttemptContext {
  return {
    model: 'gemini-2.5-pro',
    hasNextModel: true,
    consecutiveModelFailures: 1,
    internalFailures: 0,
    timeoutFailures: 0,
    retryIndex: 0,
    canShrink: false,
    now: NOW,
    random: () => 0.5,
    options: POLICY_DEFAULTS,
    ...extra,
  };
}

describe('rules: what each kind does', () => {
  const table: Array<[string, GeminiError, Partial<AttemptContext>, Partial<ReturnType<typeof decide>>]> = [
    [
      'rate limit with RetryInfo 3s: cool the pair 3 s, retry elsewhere',
      failure('rate_limited', { retryAfterMs: 3000 }),
      {},
      { action: 'retry', coolDown: { until: NOW + 3000 } },
    ],
    [
      'rate limit without delay: backoff with jitter',
      failure('rate_limited'),
      { retryIndex: 2 },
      { action: 'retry', coolDown: { until: NOW + 1000 } },
    ],
    [
      'daily quota: park until reset',
      failure('quota_exhausted', { resetAt: NOW + 5000 }),
      {},
      { action: 'retry', park: { until: NOW + 5000, reason: 'daily quota spent' } },
    ],
    [
      'no quota at all: park for the process',
      failure('quota_exhausted'),
      {},
      { action: 'retry', park: { until: Number.POSITIVE_INFINITY, reason: 'no quota for this model on this tier' } },
    ],
    [
      '503 once: retry with backoff',
      failure('unavailable'),
      {},
      { action: 'retry', delayMs: 250, modelUnhealthy: true },
    ],
    [
      '503 twice: next model',
      failure('unavailable'),
      { consecutiveModelFailures: 2 },
      { action: 'fallback', modelUnhealthy: true },
    ],
    [
      '503 twice, no other model: keep retrying',
      failure('unavailable'),
      { consecutiveModelFailures: 2, hasNextModel: false },
      { action: 'retry' },
    ],
    ['network: like 503', failure('network'), { consecutiveModelFailures: 2 }, { action: 'fallback' }],
    ['500 first: retry once', failure('internal'), { internalFailures: 1 }, { action: 'retry' }],
    [
      '500 again with shrink: shrink',
      failure('internal'),
      { internalFailures: 2, canShrink: true },
      { action: 'shrink' },
    ],
    ['500 again without shrink: next model', failure('internal'), { internalFailures: 2 }, { action: 'fallback' }],
    [
      '504 first: longer timeout',
      failure('deadline_exceeded'),
      { timeoutFailures: 1 },
      { action: 'retry', raiseTimeout: true },
    ],
    [
      '504 again: next model',
      failure('deadline_exceeded'),
      { timeoutFailures: 2 },
      { action: 'fallback', raiseTimeout: true },
    ],
    ['client timeout: like 504', failure('timeout'), { timeoutFailures: 1 }, { action: 'retry', raiseTimeout: true }],
    [
      'bad key: take it out',
      failure('api_key_invalid'),
      {},
      { action: 'retry', disableKey: { scope: 'key', reason: 'API key not valid' } },
    ],
    [
      'suspended: key out for every model',
      failure('permission_denied', { reason: 'CONSUMER_SUSPENDED' }),
      {},
      { disableKey: { scope: 'key', reason: 'permission denied (CONSUMER_SUSPENDED)' } },
    ],
    [
      '403 for one model: key out for that model',
      failure('permission_denied'),
      {},
      { disableKey: { scope: 'model', reason: 'permission denied' } },
    ],
    ['404: drop and go on', failure('not_found'), {}, { action: 'fallback', dropModel: true }],
    ['404 as only model: fail', failure('not_found'), { hasNextModel: false }, { action: 'fail' }],
    ['input too large without shrink: fail', failure('input_too_large'), {}, { action: 'fail' }],
    ['input too large with shrink: shrink', failure('input_too_large'), { canShrink: true }, { action: 'shrink' }],
    ['blocked: fail', failure('blocked'), {}, { action: 'fail' }],
    [
      'blocked with fallbackOnBlocked: next model',
      failure('blocked'),
      { options: { ...POLICY_DEFAULTS, fallbackOnBlocked: true } },
      { action: 'fallback' },
    ],
    ['location: fail', failure('location_unsupported'), {}, { action: 'fail' }],
    ['invalid request: fail', failure('invalid_request'), {}, { action: 'fail' }],
    ['truncated: fail', failure('truncated'), {}, { action: 'fail' }],
    ['cancelled: fail', failure('cancelled'), {}, { action: 'fail' }],
    ['unknown: fail', failure('unknown'), {}, { action: 'fail' }],
  ];
  for (const [name, error, extra, expected] of table) {
    it(name, () => expect(decide(error, context(extra))).toMatchObject(expected));
  }

  it('a caller rule replaces the default, but never for cancellation', () => {
    const rules = {
      unavailable: () => ({ action: 'fail' as const, reason: 'mine' }),
      cancelled: () => ({ action: 'retry' as const, reason: 'no' }),
    };
    expect(decide(failure('unavailable'), context(), rules).reason).toBe('mine');
    expect(decide(failure('cancelled'), context(), rules).action).toBe('fail');
  });

  it('a real per-day 429 parks until midnight Pacific', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const error = classify(
      {
        status: 429,
        body: JSON.stringify({
          error: {
            code: 429,
            status: 'RESOURCE_EXHAUSTED',
            message: 'x',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '50' }],
              },
            ],
          },
        }),
      },
      { now },
    );
    expect(decide(error, context({ now })).park?.until).toBe(Date.UTC(2026, 10, 29, 8));
  });
});

describe('backoff, timeouts, options', () => {
  it('full jitter under an exponential ceiling, capped', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, options, () => 0.999)).toBe(99);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    expect(backoffDelay(10, options, () => 0.999)).toBe(999);
    expect(backoffDelay(2, options, () => 0)).toBe(0);
  });
  it('the timeout ladder doubles to its cap and never passes the deadline', () => {
    const options = { ...POLICY_DEFAULTS.timeout, initialMs: 60_000, maxMs: 600_000 };
    expect([0, 1, 2, 5].map((level) => attemptTimeout(level, options, 10_000_000))).toEqual([
      60_000, 120_000, 240_000, 600_000,
    ]);
    expect([0, 1, 2].map((level) => firstChunkTimeout(level, { ...options, firstChunkMs: 5_000 }, 12_000))).toEqual([
      5_000, 10_000, 12_000,
    ]);
    // The defaults: Google's own 600 s deadline for a non-streamed answer, raised up to 30 min.
    expect([0, 1, 2].map((level) => attemptTimeout(level, POLICY_DEFAULTS.timeout, 10_000_000))).toEqual([
      600_000, 1_200_000, 1_800_000,
    ]);
    expect(attemptTimeout(0, options, 5000)).toBe(5000);
    expect(serverTimeoutSeconds(2000, options)).toBe(10);
    expect(serverTimeoutSeconds(120_000, options)).toBe(120);
  });
  it('overrides merge one level deep', () => {
    const policy = resolvePolicy({ maxAttempts: 3, breaker: { cooldownMs: 5 }, retryBudget: false });
    expect(policy.maxAttempts).toBe(3);
    expect(policy.breaker).toEqual({ failureThreshold: 3, cooldownMs: 5 });
    expect(policy.retryBudget).toBe(false);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, closes on success', () => {
    const breaker = new CircuitBreaker('m', { failureThreshold: 2, cooldownMs: 100 });
    expect(breaker.failure(0)).toBeUndefined();
    expect(breaker.failure(1)).toBe(101);
    expect(breaker.allows(50)).toBe(false);
    expect(breaker.state(101)).toBe('half-open');
    expect(breaker.allows(101)).toBe(true);
    breaker.begin(101);
    expect(breaker.allows(102)).toBe(false); // one probe at a time
    expect(breaker.success()).toBe(true);
    expect(breaker.state(103)).toBe('closed');
  });
  it('a failed probe opens it again', () => {
    const breaker = new CircuitBreaker('m', { failureThreshold: 1, cooldownMs: 100 });
    breaker.failure(0);
    breaker.begin(100);
    expect(breaker.failure(100)).toBe(200);
  });
});

describe('retry budget', () => {
  it('allows a floor plus a share of recent requests', () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerWindow: 2, windowMs: 1000 });
    for (let i = 0; i < 10; i++) budget.recordRequest(0);
    const granted = Array.from({ length: 6 }, () => budget.tryRetry(10)).filter(Boolean).length;
    expect(granted).toBe(4);
    expect(budget.tryRetry(2000)).toBe(true); // the window moved on
  });
});

describe('key pool', () => {
  it('groups by project, parks and cools pairs, disables keys with reasons, never shows keys', () => {
    const pool = new KeyPool([
      { key: `AIza${''}SyAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1111`, project: 'p1' },
      { key: `AIza${''}SyBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2222`, project: 'p1' },
      `AIza${''}SyCCCCCCCCCCCCCCCCCCCCCCCCCCCCC3333`,
    ]);
    const [a, b, c] = pool.keys;
    pool.park('p1', 'm', 500, 'daily quota spent');
    expect(pool.readyAt(b!, 'm', 0)).toBe(500);
    expect(pool.readyAt(c!, 'm', 0)).toBe(0);
    pool.coolDown(c!.project, 'm', 30);
    expect(pool.readyAt(c!, 'm', 10)).toBe(30);
    pool.disable(a!, 'bad', 'other-model');
    expect(pool.usable('other-model')).toHaveLength(2);
    expect(pool.usable('m')).toHaveLength(3);
    const snapshot = JSON.stringify(pool.snapshot(0));
    expect(snapshot).toContain('…1111');
    expect(snapshot).not.toContain('AIzaSyA');
  });
});
