import { describe, expect, it, vi } from 'vitest';
import { fixture } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import { createGeminiError, GeminiError, isGeminiError } from './gemini-error.js';
import { toGeminiError } from './to-gemini-error.js';

describe('GeminiError API', () => {
  it('fills every default from the kind', () => {
    const error = createGeminiError({ kind: 'unavailable', message: 'The model is overloaded.' });
    expect(error).toBeInstanceOf(Error);
    expect(error.retryable).toBe(true);
    expect(error.blame).toBe('capacity');
    expect(error.source).toBe('text');
    expect([error.quota, error.helpLinks, error.fieldViolations, error.details, error.attempts]).toEqual([
      [],
      [],
      [],
      [],
      [],
    ]);
    const refused = createGeminiError({ kind: 'invalid_request', message: 'bad field' });
    expect(refused.retryable).toBe(false);
    expect(refused.blame).toBe('request');
    expect(createGeminiError({ kind: 'internal', message: 'x', retryable: false }).retryable).toBe(false);
  });

  it('with() returns a new error wrapping the original, which stays as it was', () => {
    const original = createGeminiError({ kind: 'rate_limited', source: 'http', httpStatus: 429, message: 'slow down' });
    const attempts = [{ model: 'gemini-2.5-flash', keyHint: 'ab12', waitedMs: 0, durationMs: 5 }];
    const last = original.with({ attempts, message: 'Gave up after 1 attempt: slow down', model: 'gemini-2.5-flash' });
    expect(last).not.toBe(original);
    expect(last).toBeInstanceOf(GeminiError);
    expect(last.cause).toBe(original);
    expect(last.attempts).toEqual(attempts);
    expect(last.message).toBe('Gave up after 1 attempt: slow down');
    expect(last.httpStatus).toBe(429);
    expect(last.kind).toBe('rate_limited');
    expect(original.attempts).toEqual([]);
    expect(original.message).toBe('slow down');
    expect(original.model).toBeUndefined();
    const other = new Error('elsewhere');
    expect(original.with({ cause: other }).cause).toBe(other);
  });

  it('cannot be changed after it is made: every field is readonly to the type checker, message included', () => {
    const made = createGeminiError({ kind: 'unavailable', message: 'overloaded' });
    // `npm run typecheck` fails if any of these assignments compiles (the directive is then unused).
    const tamper = (error: GeminiError) => {
      // @ts-expect-error message is readonly (Error's own is not)
      error.message = 'changed';
      // @ts-expect-error kind is readonly
      error.kind = 'internal';
      // @ts-expect-error attempts is readonly
      error.attempts = [];
      // @ts-expect-error model is readonly
      error.model = 'gemini-2.5-pro';
    };
    expect(tamper).toBeTypeOf('function');
    expect(made.message).toBe('overloaded');
  });

  it('with() keeps the subclass, and a changed kind brings its own retryability and blame', () => {
    class ToolError extends GeminiError {}
    const made = new ToolError({ kind: 'unavailable', message: 'down' });
    const changed = made.with({ kind: 'invalid_request' });
    expect(changed).toBeInstanceOf(ToolError);
    expect(changed.retryable).toBe(false);
    expect(changed.blame).toBe('request');
  });

  it('recognises errors from another copy of the package by its brand', async () => {
    vi.resetModules();
    // A second module instance of the same file: a distinct class, as a second installed copy would be.
    const secondCopy = './gemini-error.js?second-copy';
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import('./gemini-error.js');
    expect(copy.GeminiError).not.toBe(GeminiError);
    const foreign = copy.createGeminiError({ kind: 'timeout', message: 'no answer' });
    expect(isGeminiError(foreign)).toBe(true);
    expect(foreign instanceof GeminiError).toBe(true);
    expect(copy.isGeminiError(createGeminiError({ kind: 'network', message: 'reset' }))).toBe(true);
    expect(toGeminiError(foreign)).toBe(foreign);
    expect(isGeminiError(new Error('plain'))).toBe(false);
    expect(isGeminiError({ name: 'GeminiError', kind: 'internal' })).toBe(false);
  });

  it('toGeminiError classifies anything else and never throws', () => {
    const error = toGeminiError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    expect(error.kind).toBe('network');
    expect(error.blame).toBe('network');
    expect(toGeminiError(undefined).kind).toBe('unknown');
    expect(toGeminiError('x', { model: 'gemini-2.5-pro' }).model).toBe('gemini-2.5-pro');
  });

  it('toJSON carries blame and attempts', () => {
    const json = createGeminiError({ kind: 'quota_exhausted', message: 'daily' }).toJSON();
    expect(json.blame).toBe('project');
    expect(json.attempts).toEqual([]);
  });
});

describe('classify sets blame from structured fields', () => {
  const cases: Array<[string, string]> = [
    ['400-api-key-invalid-errorinfo', 'key'],
    ['403-api-key-service-blocked', 'key'],
    ['403-consumer-suspended', 'project'],
    ['400-user-location-not-supported', 'project'],
    ['404-model-not-found-v1beta', 'model'],
    ['400-input-token-count-exceeds', 'request'],
    ['429-free-tier-input-tpm-retryinfo', 'capacity'],
    ['500-internal-troubleshooting', 'capacity'],
    ['503-model-overloaded', 'capacity'],
  ];
  for (const [name, blame] of cases) {
    it(`${name} → ${blame}`, () => {
      const item = fixture(name);
      expect(classify({ status: item.httpStatus, body: JSON.stringify(item.body) }).blame).toBe(blame);
    });
  }

  it('a file or cache that is gone is about the resource, not the key', () => {
    const body = {
      error: {
        code: 403,
        message: 'You do not have permission to access the File abc123 or it may not exist.',
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
            resourceType: 'file',
            resourceName: 'files/abc123',
          },
        ],
      },
    };
    const error = classify({ status: 403, body: JSON.stringify(body) });
    expect(error.kind).toBe('permission_denied');
    expect(error.blame).toBe('resource');
    const cache = classify({
      status: 404,
      body: JSON.stringify({
        error: {
          code: 404,
          message: 'CachedContent not found (or permission denied): cachedContents/xyz',
          status: 'NOT_FOUND',
        },
      }),
    });
    expect(cache.blame).toBe('resource');
  });

  it('a daily quota spent is about the project; a per-minute one is capacity', () => {
    const perDay = classify({
      status: 429,
      body: JSON.stringify({
        error: {
          code: 429,
          message: 'You exceeded your current quota.',
          status: 'RESOURCE_EXHAUSTED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '250' }],
            },
          ],
        },
      }),
    });
    expect(perDay.kind).toBe('quota_exhausted');
    expect(perDay.blame).toBe('project');
  });

  it('reads the time from an injected clock (the per-day reset is the next midnight Pacific after it)', () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: 'Quota exceeded for metric: generate_content_free_tier_requests, limit: 250, per day',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', quotaValue: '250' }],
          },
        ],
      },
    });
    const at = Date.UTC(2026, 0, 15, 12, 0, 0); // 04:00 Pacific (PST)
    const error = classify({ status: 429, body }, { clock: { now: () => at } });
    expect(error.resetAt).toBe(Date.UTC(2026, 0, 16, 8, 0, 0));
    expect(error.retryAfterMs).toBe(20 * 3_600_000);
  });
});
