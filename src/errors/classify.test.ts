import { describe, expect, it } from 'vitest';
import { fixture, loadErrorFixtures } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import { explain } from './explain.js';
import type { ErrorKind } from './kinds.js';

const EXPECTED: Record<string, { kind: ErrorKind; status?: string; reason?: string; retryAfterMs?: number }> = {
  '200-finish-safety-blocked': { kind: 'blocked' },
  '400-api-key-invalid-errorinfo': { kind: 'api_key_invalid', status: 'INVALID_ARGUMENT', reason: 'API_KEY_INVALID' },
  '400-input-token-count-exceeds': { kind: 'input_too_large', status: 'INVALID_ARGUMENT' },
  '400-unknown-field-nested-tools-schema': { kind: 'invalid_request', status: 'INVALID_ARGUMENT' },
  '400-user-location-not-supported': { kind: 'location_unsupported', status: 'FAILED_PRECONDITION' },
  '403-api-key-service-blocked': { kind: 'permission_denied', reason: 'API_KEY_SERVICE_BLOCKED' },
  '403-consumer-suspended': { kind: 'permission_denied', reason: 'CONSUMER_SUSPENDED' },
  '404-model-not-found-v1beta': { kind: 'not_found' },
  '429-free-tier-input-tpm-retryinfo': { kind: 'rate_limited', retryAfterMs: 26_000 },
  '429-resource-has-been-exhausted-minimal': { kind: 'rate_limited' },
  '500-internal-troubleshooting': { kind: 'internal' },
  '503-model-overloaded': { kind: 'unavailable' },
};

describe('classify: every shared fixture', () => {
  const fixtures = loadErrorFixtures();
  it('has an expectation for each fixture file', () => {
    expect(fixtures.map((item) => item.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const item of fixtures) {
    const expected = EXPECTED[item.name]!;
    const bodyText = JSON.stringify(item.body, null, 2);

    it(`${item.name}: as an HTTP response`, () => {
      const error = classify({ status: item.httpStatus, body: bodyText });
      expect(error.kind).toBe(expected.kind);
      expect(error.httpStatus).toBe(item.httpStatus);
      if (expected.status) expect(error.status).toBe(expected.status);
      if (expected.reason) expect(error.reason).toBe(expected.reason);
      if (expected.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(expected.retryAfterMs);
      expect(error.raw).toContain(item.httpStatus === 200 ? 'candidates' : 'error');
    });

    it(`${item.name}: as pasted text`, () => {
      expect(classify(bodyText).kind).toBe(expected.kind);
    });

    it(`${item.name}: the fixture file itself`, () => {
      expect(classify(JSON.stringify(item)).kind).toBe(expected.kind);
    });
  }
});

describe('classify: details kept as data', () => {
  it('reads QuotaFailure, Help and RetryInfo from the TPM fixture', () => {
    const item = fixture('429-free-tier-input-tpm-retryinfo');
    const error = classify({ status: 429, body: JSON.stringify(item.body) });
    expect(error.quota).toEqual([
      expect.objectContaining({
        id: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
        metric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
        model: 'gemini-2.5-flash',
        limit: 250000,
        scope: 'minute',
      }),
    ]);
    expect(error.helpLinks[0]?.url).toBe('https://ai.google.dev/gemini-api/docs/rate-limits');
    expect(error.retryable).toBe(true);
    expect(error.model).toBe('gemini-2.5-flash');
  });

  it('keeps BadRequest field violations', () => {
    const error = classify({
      status: 400,
      body: JSON.stringify(fixture('400-unknown-field-nested-tools-schema').body),
    });
    expect(error.fieldViolations).toHaveLength(2);
    expect(error.fieldViolations[0]?.field).toBe(
      'tools[0].function_declarations[0].parameters.properties[0].value.items',
    );
  });

  it('names the model of a 404 and suggests a current one for a retired model', () => {
    const error = classify({ status: 404, body: JSON.stringify(fixture('404-model-not-found-v1beta').body) });
    expect(error.model).toBe('gemini-2.0-pro');
    expect(explain(error).explanation).toContain('use gemini-2.5-pro');
  });

  it('keeps the ErrorInfo metadata and domain', () => {
    const error = classify({ status: 403, body: JSON.stringify(fixture('403-consumer-suspended').body) });
    expect(error.domain).toBe('googleapis.com');
    expect(error.metadata?.consumer).toBe('projects/578829824020');
  });
});

const PER_DAY_BODY = {
  error: {
    code: 429,
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 250, model: gemini-2.5-flash\nPlease retry in 2.463586755s.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
            quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
            quotaValue: '250',
          },
        ],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
    ],
  },
};

describe('classify: per-day against per-minute', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0); // 04:00 Pacific (PST)

  it('a per-day quota is quota_exhausted even when RetryInfo says a few seconds', () => {
    const error = classify({ status: 429, body: JSON.stringify(PER_DAY_BODY) }, { now });
    expect(error.kind).toBe('quota_exhausted');
    expect(error.retryable).toBe(false);
    expect(error.serverRetryDelayMs).toBe(2464);
    expect(error.resetAt).toBe(Date.UTC(2026, 10, 29, 8, 0, 0)); // midnight PST
    expect(error.retryAfterMs).toBe(20 * 3600 * 1000);
    expect(explain(error).explanation).toContain('00:00 Pacific');
  });

  it("on a compressed quota day (quotaDayMs) the reset is the server's delay, at most one such day", () => {
    const body = JSON.stringify(PER_DAY_BODY);
    const delayed = classify({ status: 429, body }, { now, quotaDayMs: 10_000 });
    expect(delayed).toMatchObject({ kind: 'quota_exhausted', resetAt: now + 2464, retryAfterMs: 2464 });
    expect(classify({ status: 429, body }, { now, quotaDayMs: 1000 }).resetAt).toBe(now + 1000);
    const noDelay = structuredClone(PER_DAY_BODY);
    noDelay.error.details.pop(); // no RetryInfo and no delay in the message: the longest the day can take
    noDelay.error.message = 'You exceeded your current quota.';
    expect(classify({ status: 429, body: JSON.stringify(noDelay) }, { now, quotaDayMs: 10_000 }).resetAt).toBe(
      now + 10_000,
    );
  });

  it('RetryInfo "0s" on a per-day quota still does not make it retryable', () => {
    const body = structuredClone(PER_DAY_BODY);
    (body.error.details[2] as { retryDelay: string }).retryDelay = '0s';
    expect(classify({ status: 429, body: JSON.stringify(body) }, { now }).kind).toBe('quota_exhausted');
  });

  it('limit 0 (no free tier for the model) is quota_exhausted with no retry time', () => {
    const body = structuredClone(PER_DAY_BODY);
    const violation = (body.error.details[1] as unknown as { violations: Array<Record<string, string>> })
      .violations[0]!;
    violation.quotaId = 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier';
    violation.quotaValue = '0';
    const error = classify({ status: 429, body: JSON.stringify(body) }, { now });
    expect(error.kind).toBe('quota_exhausted');
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('without QuotaFailure, the message decides: "limit: 0" means no quota', () => {
    const text =
      '429 RESOURCE_EXHAUSTED. Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro';
    expect(classify(text).kind).toBe('quota_exhausted');
  });

  it('fractional server delays are kept to the millisecond, from the message when RetryInfo is missing', () => {
    const body = {
      error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded. Please retry in 28.321616s.' },
    };
    expect(classify({ status: 429, body: JSON.stringify(body) }).retryAfterMs).toBe(28322);
  });

  it('Retry-After header is used when the body says nothing', () => {
    const error = classify({
      status: 429,
      headers: { 'Retry-After': '7' },
      body: '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Resource has been exhausted (e.g. check quota)."}}',
    });
    expect(error.retryAfterMs).toBe(7000);
  });
});

describe('classify: input forms', () => {
  const cases: Array<[string, unknown, ErrorKind]> = [
    [
      'one-element array body',
      { status: 400, body: JSON.stringify(fixture('400-api-key-invalid-errorinfo').body) },
      'api_key_invalid',
    ],
    [
      'Google front-end HTML 502',
      {
        status: 502,
        body: '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 502 (Server Error)!!1</title>\n  <p><b>502.</b> <ins>That’s an error.</ins>\n  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>',
      },
      'unavailable',
    ],
    [
      'plain text 503',
      { status: 503, body: 'upstream connect error or disconnect/reset before headers' },
      'unavailable',
    ],
    ['413 from a proxy', { status: 413, body: 'Request Entity Too Large' }, 'input_too_large'],
    [
      // A relay's log with no status word before the code: "Internal server error" is a 500, not the
      // "Server Error" of an overloaded front end.
      'Internal server error with no status',
      'upstream failed: {"error":{"code":"http_error","message":"Internal server error during gemini_generate_content"}}',
      'internal',
    ],
    [
      'GoogleGenerativeAI rendering',
      '[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent: [429 Too Many Requests] Resource has been exhausted (e.g. check quota).',
      'rate_limited',
    ],
    [
      'GoogleGenerativeAI rendering with details',
      '[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse: [429 Too Many Requests] You exceeded your current quota, please check your plan and billing details. [{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"},"quotaValue":"25"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"39s"}]',
      'quota_exhausted',
    ],
    [
      'ApiError with JSON message',
      'ApiError: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}',
      'unavailable',
    ],
    [
      'ApiError wrapped twice (gemini-cli)',
      '{"error":{"message":"{\\n  \\"error\\": {\\n    \\"code\\": 429,\\n    \\"message\\": \\"Resource has been exhausted (e.g. check quota).\\",\\n    \\"status\\": \\"RESOURCE_EXHAUSTED\\"\\n  }\\n}\\n","code":429,"status":"Too Many Requests"}}',
      'rate_limited',
    ],
    [
      'genai "got status" rendering',
      'Error: got status: 503 Service Unavailable. {"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}',
      'unavailable',
    ],
    [
      'Python repr',
      "google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'message': 'You exceeded your current quota, please check your plan and billing details.', 'status': 'RESOURCE_EXHAUSTED', 'details': [{'@type': 'type.googleapis.com/google.rpc.QuotaFailure', 'violations': [{'quotaMetric': 'generativelanguage.googleapis.com/generate_content_free_tier_requests', 'quotaId': 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', 'quotaDimensions': {'location': 'global', 'model': 'gemini-2.0-flash'}, 'quotaValue': '15'}]}, {'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '45s'}]}}",
      'rate_limited',
    ],
    [
      'Python ServerError repr',
      "google.genai.errors.ServerError: 500 INTERNAL. {'error': {'code': 500, 'message': 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', 'status': 'INTERNAL'}}",
      'internal',
    ],
    [
      'gRPC text',
      'grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.DEADLINE_EXCEEDED\n\tdetails = "Deadline Exceeded"',
      'deadline_exceeded',
    ],
    [
      'api_core exception',
      'google.api_core.exceptions.ResourceExhausted: 429 Resource has been exhausted (e.g. check quota).',
      'rate_limited',
    ],
    [
      'api_core per-day text proto',
      'google.api_core.exceptions.ResourceExhausted: 429 You exceeded your current quota. [violations {\n  quota_metric: "generativelanguage.googleapis.com/generate_content_free_tier_requests"\n  quota_id: "GenerateRequestsPerDayPerProjectPerModel-FreeTier"\n  quota_value: 50\n}\n, retry_delay {\n  seconds: 25\n}\n]',
      'quota_exhausted',
    ],
    [
      'OpenAI-compatible Python',
      "openai.RateLimitError: Error code: 429 - [{'error': {'code': 429, 'message': 'Resource has been exhausted (e.g. check quota).', 'status': 'RESOURCE_EXHAUSTED'}}]",
      'rate_limited',
    ],
    [
      'fetch failed',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
      }),
      'network',
    ],
    ['socket hang up text', 'Error: socket hang up', 'network'],
    ['abort', new DOMException('This operation was aborted', 'AbortError'), 'cancelled'],
    ['timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout'],
    ['SSE stream broke (genai)', 'Error: Incomplete JSON segment at the end', 'malformed_response'],
    ['blocked text', '[GoogleGenerativeAI Error]: Candidate was blocked due to SAFETY', 'blocked'],
    [
      'truncated text',
      "Invalid operation: The `response.text` quick accessor requires the response to contain a valid `Part`, but none were returned. The candidate's [finish_reason](https://ai.google.dev/api/generate-content#finishreason) is 2.",
      'truncated',
    ],
    [
      'unregistered caller 403',
      {
        status: 403,
        body: JSON.stringify({
          error: {
            code: 403,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            status: 'PERMISSION_DENIED',
          },
        }),
      },
      'permission_denied',
    ],
    [
      'free tier not in country',
      '400 FAILED_PRECONDITION: Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.',
      'location_unsupported',
    ],
    ['expired key text', 'API key expired. Please renew the API key.', 'api_key_invalid'],
    [
      '504 body',
      {
        status: 504,
        body: JSON.stringify({
          error: {
            code: 504,
            message: 'Deadline expired before operation could complete.',
            status: 'DEADLINE_EXCEEDED',
          },
        }),
      },
      'deadline_exceeded',
    ],
    [
      '499 cancelled',
      {
        status: 499,
        body: JSON.stringify({ error: { code: 499, message: 'The operation was cancelled.', status: 'CANCELLED' } }),
      },
      // An answer with a body: the server gave up on the request, which is transient (issue 17).
      'unavailable',
    ],
    [
      '503 high demand',
      'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
      'unavailable',
    ],
    [
      'payload size',
      {
        status: 400,
        body: JSON.stringify({
          error: {
            code: 400,
            message: 'Request payload size exceeds the limit: 20971520 bytes.',
            status: 'INVALID_ARGUMENT',
          },
        }),
      },
      'input_too_large',
    ],
    [
      'stream error frame',
      {
        frame: {
          type: 'error',
          raw: '{}',
          error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' },
        },
      },
      'unavailable',
    ],
    [
      'empty 200',
      { status: 200, body: '{"candidates":[{"content":{"parts":[]},"finishReason":"STOP"}]}' },
      'malformed_response',
    ],
    ['prompt blocked', { status: 200, body: '{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}' }, 'blocked'],
    [
      'MAX_TOKENS with no text',
      {
        status: 200,
        body: '{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"thoughtsTokenCount":1000}}',
      },
      'truncated',
    ],
    ['200 not JSON', { status: 200, body: '<html>oops' }, 'malformed_response'],
    [
      'AI SDK APICallError-like object',
      Object.assign(new Error('Resource has been exhausted (e.g. check quota).'), {
        name: 'AI_APICallError',
        statusCode: 429,
        responseBody: '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"x"}}',
      }),
      'rate_limited',
    ],
    ['undici terminated', 'TypeError: terminated', 'network'],
    [
      'api_core text proto key',
      'google.api_core.exceptions.InvalidArgument: 400 API key not valid. Please pass a valid API key. [reason: "API_KEY_INVALID"\ndomain: "googleapis.com"\n]',
      'api_key_invalid',
    ],
    [
      'api_core FailedPrecondition',
      'google.api_core.exceptions.FailedPrecondition: 400 User location is not supported for the API use.',
      'location_unsupported',
    ],
    ['httpx timeout', 'httpx.ReadTimeout: The read operation timed out', 'timeout'],
    [
      'gemini-cli per-day text',
      "Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Gemini 2.5 Pro Requests per day per user per tier'",
      'quota_exhausted',
    ],
    [
      'ErrorInfo quota_limit per day',
      '{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"quota_limit":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}}]}}',
      'quota_exhausted',
    ],
    [
      'OpenAI-style content filter',
      'AI_NoObjectGeneratedError: No object generated: the model stopped with finish reason content-filter',
      'blocked',
    ],
    ['OpenAI-style length', 'finish_reason: length', 'truncated'],
    [
      '401 OAuth',
      '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}',
      'api_key_invalid',
    ],
    ['nonsense', 'hello world', 'unknown'],
  ];
  for (const [name, input, kind] of cases) {
    it(name, () => expect(classify(input).kind).toBe(kind));
  }

  it('never shows a full API key', () => {
    const key = `AIza${''}SyA1234567890abcdefghijklmnopqrstuv`;
    const error = classify(
      `Error fetching https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key=${key} [403 Forbidden] Permission denied: Consumer 'api_key:${key}' has been suspended.`,
    );
    expect(JSON.stringify(error.toJSON())).not.toContain(key);
    expect(error.message).toContain('…stuv');
  });
});

describe('classify: the later of RetryInfo and the message wins', () => {
  it('RetryInfo "32s" with "Please retry in 32.43s" waits 32.43 s', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message:
          'Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 5, model: gemini-2.5-pro\nPlease retry in 32.43s.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '32s' }],
      },
    };
    const error = classify({ status: 429, body: JSON.stringify(body) });
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(32430);
  });
});
