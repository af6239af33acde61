// Hostile input against a live gateway: every answer is a success or an error in the route's own
// format, nothing leaks an upstream key, and the gateway keeps serving.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hello, post } from './helpers/http.js';
import { useStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyFuzzFuzzFuzzFuzzFuzzFuzzFuzzFu1234`;
const stack = useStack({ gateway: { keys: [UPSTREAM_KEY], maxAttempts: 2, bodyLimitBytes: 64 * 1024 } });

const paths = fc.oneof(
  fc.constantFrom(
    '/v1beta/models/gemini-2.5-flash:generateContent',
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    '/v1/models/gemini-2.5-pro:countTokens',
    '/v1/chat/completions',
    '/v1/models',
    '/v1beta/models/x:embedContent',
    '/status.json',
    '/v1beta/models/%E0%A4%A',
    '/v1beta/models/a:b:c',
    '/metrics',
    '/v1beta/models/gemini-2.5-flash:generateContent?key=abc',
  ),
  fc.webPath(),
);
const bodies = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record({
      model: fc.oneof(fc.string(), fc.constant('gemini-2.5-flash')),
      messages: fc.jsonValue(),
      stream: fc.boolean(),
      temperature: fc.jsonValue(),
    })
    .map((value) => JSON.stringify(value)),
  fc.record({ contents: fc.jsonValue(), generationConfig: fc.jsonValue() }).map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('gateway fuzz', () => {
  it("answers arbitrary requests in the route's format and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(paths, bodies, fc.constantFrom('GET', 'POST', 'PUT'), async (path, body, method) => {
        const response = await fetch(`${stack.gateway.url}${path.startsWith('/') ? path : `/${path}`}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body }),
        });
        const text = await response.text();
        expect(text).not.toContain(UPSTREAM_KEY);
        expect(response.status).toBeLessThan(600);
        if (response.status >= 400 && (response.headers.get('content-type') ?? '').includes('json')) {
          const parsed = JSON.parse(text) as { error?: { message?: unknown } };
          expect(typeof parsed.error?.message).toBe('string');
        }
      }),
      { numRuns: 250 },
    );
    expect((await post(stack.gateway.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
  });
});
