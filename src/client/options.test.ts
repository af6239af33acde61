// createClient's options checked against the one settings schema: a bad value fails when the client
// is made, with a typed error naming the field; defaults come from the schema.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/index.js';
import { POLICY_DEFAULTS, resolvePolicy } from '../policy/index.js';
import { InvalidOptionsError } from '../policy/settings-check.js';
import { createClient } from './create-client.js';
import { checkClientOptions, type ClientOptions } from './options.js';

const KEY = 'AIzaSy-secret-key-for-tests-0001';

/** The error createClient throws for `options` (keys added), or undefined. */
function refusal(options: Record<string, unknown>): InvalidOptionsError | undefined {
  try {
    createClient({ keys: [KEY], ...options });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
}

describe('createClient checks its options when the client is made', () => {
  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts must be an integer ≥ 1 (got 0)'],
    [{ maxAttempts: 2.5 }, 'maxAttempts must be an integer ≥ 1 (got 2.5)'],
    [{ maxAttempts: '3' }, 'maxAttempts must be an integer ≥ 1 (got a string)'],
    [{ timeout: { factor: 0.5 } }, 'timeout.factor must be a number ≥ 1 (got 0.5)'],
    [{ backoff: { baseMs: Number.NaN } }, 'backoff.baseMs must be a number ≥ 0 (got NaN)'],
    [{ backoff: { baseMS: 5 } }, 'backoff.baseMS is not a setting'],
    [{ maxAtempts: 3 }, 'maxAtempts is not a setting'],
    [{ breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold must be an integer ≥ 1 (got 0)'],
    [{ retryBudget: { ratio: -1 } }, 'retryBudget.ratio must be a number ≥ 0 (got -1)'],
    [{ retryBudget: true }, 'retryBudget must be'],
    [{ fallbackOnBlocked: 'yes' }, 'fallbackOnBlocked must be true or false (got a string)'],
    [{ streamRepair: 'sometimes' }, 'streamRepair must be one of "off", "restart", "continue", "auto"'],
    [{ answerChecks: 'warn' }, 'answerChecks must be one of "throw", "report"'],
    [{ limits: { 'gemini-2.5-pro': { rpm: -1 } } }, 'limits.gemini-2.5-pro.rpm must be an integer ≥ 1 (got -1)'],
    [{ quotaWindows: { minuteMs: 0 } }, 'quotaWindows.minuteMs must be a number > 0 (got 0)'],
    [{ keyProbe: { initialMs: 0 } }, 'keyProbe.initialMs must be an integer ≥ 1 (got 0)'],
    [{ upstreamConnections: 1.5 }, 'upstreamConnections must be an integer ≥ 1 (the upstream connections'],
    [{ baseUrl: 'not a url' }, 'baseUrl must be a URL'],
    [{ apiVersion: 'v2' }, 'apiVersion must be one of "v1", "v1beta", "v1alpha"'],
    [{ fetch: 'http://x' }, 'fetch must be a function'],
    [
      { clock: { minuteMs: 1000 } },
      'clock must be a Clock (now, sleep, random, timer); the lengths of the quota minute and day go in quotaWindows',
    ],
  ])('%j → "%s"', (options, message) => {
    const error = refusal(options);
    expect(error?.message).toContain(`createClient: ${message}`);
  });

  it('names every bad field at once, in `problems` too', () => {
    const error = refusal({ maxAttempts: 0, timeout: { idleMs: 0, requestMs: -5 } });
    expect(error?.problems.map((problem) => problem.path)).toEqual([
      'maxAttempts',
      'timeout.idleMs',
      'timeout.requestMs',
    ]);
    expect(error).toBeInstanceOf(TypeError);
  });

  it('a key object with a wrong member is named by its place, and no key text is ever shown', () => {
    const error = refusal({ keys: [KEY, { key: KEY, project: 7 }, ''] });
    expect(error?.message).toContain('keys[1].project must be a string (got 7)');
    expect(error?.message).toContain('keys[2] must not be empty');
    expect(error?.message).not.toContain('secret');
    const url = refusal({ redis: 'redis//:hunter2@cache' });
    expect(url?.message).toContain('redis must be a URL');
    expect(url?.message).not.toContain('hunter2');
  });

  it('keys are required; a limit that means "none" (Infinity) is accepted', () => {
    expect(() => createClient({} as ClientOptions)).toThrow(/createClient: keys is required/);
    expect(() => createClient({ keys: [KEY], deadlineMs: Number.POSITIVE_INFINITY })).not.toThrow();
  });
});

describe('defaults live in the schema', () => {
  it('the checked options carry every default, and the runtime members as given', () => {
    const clock = new FakeClock();
    const checked = checkClientOptions({ keys: [KEY], clock, timeout: { factor: 3 } });
    expect(checked.clock).toBe(clock);
    expect(checked.timeout).toEqual({ ...POLICY_DEFAULTS.timeout, factor: 3 });
    expect(checked.maxAttempts).toBe(POLICY_DEFAULTS.maxAttempts);
    expect(checked.baseUrl).toBe('https://generativelanguage.googleapis.com');
    expect(checked.apiVersion).toBe('v1beta');
    expect(checked.answerChecks).toBe('throw');
  });

  it('the policy takes only its own members, overrides one level deep, and `retryBudget: false` turns the budget off', () => {
    const policy = resolvePolicy({ backoff: { maxMs: 1 }, retryBudget: false, ...{ baseUrl: 'http://x' } });
    expect(policy.backoff).toEqual({ ...POLICY_DEFAULTS.backoff, maxMs: 1 });
    expect(policy.retryBudget).toBe(false);
    expect(Object.keys(policy).sort()).toEqual(Object.keys(POLICY_DEFAULTS).sort());
  });

  it('the documented defaults (README; Google’s client deadline of 600 s for GenerateContent)', () => {
    expect(POLICY_DEFAULTS).toMatchObject({
      maxAttempts: 8,
      deadlineMs: 600_000,
      backoff: { baseMs: 500, maxMs: 20_000 },
      breaker: { failureThreshold: 3, cooldownMs: 30_000 },
      retryBudget: { ratio: 0.2, minPerWindow: 10, windowMs: 10_000 },
      timeout: { initialMs: 600_000, factor: 2, maxMs: 1_800_000, minServerTimeoutMs: 10_000, firstChunkMs: 300_000 },
    });
    expect(POLICY_DEFAULTS.timeout.requestMs).toBeUndefined();
  });
});
