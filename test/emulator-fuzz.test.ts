// Hostile input against a live emulator: every answer is either a success or Google's error
// envelope, and the server keeps serving.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { hello, post, request } from './helpers/http.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => emulator.close());

function assertGoogleShape(status: number, text: string): void {
  if (status === 200) return;
  const body = JSON.parse(text) as { error: { code: number; message: string; status: string } };
  expect(body.error.code).toBe(status);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.status).toMatch(/^[A-Z_]+$/);
}

const pathArb = fc.oneof(
  fc.constantFrom(
    '/v1beta/models/gemini-2.5-flash:generateContent',
    '/v1/models/gemini-2.5-pro:countTokens',
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    '/v1beta/models/x:embedContent',
    '/v1beta/models',
    '/v1beta/models/%E0%A4%A',
    '/v1beta/models/a:b:c',
    '/',
    '/v1beta/models/gemini-2.5-flash:generateContent?key=&alt=sse',
  ),
  fc.webPath(),
);

const bodyArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.record({ contents: fc.jsonValue(), generationConfig: fc.jsonValue() }).map((value) => JSON.stringify(value)),
  fc
    .record({
      contents: fc.array(fc.record({ role: fc.string(), parts: fc.array(fc.record({ text: fc.jsonValue() })) })),
    })
    .map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('emulator fuzz', () => {
  it("answers arbitrary requests in Google's format and stays up", async () => {
    await fc.assert(
      fc.asyncProperty(
        pathArb,
        bodyArb,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', ''),
        async (path, body, method, contentType) => {
          const response = await fetch(`${emulator.url}${path.startsWith('/') ? path : `/${path}`}`, {
            method,
            headers: { 'x-goog-api-key': 'fuzz-key', ...(contentType ? { 'content-type': contentType } : {}) },
            ...(method === 'GET' ? {} : { body }),
          });
          const text = await response.text();
          if (response.headers.get('content-type')?.includes('json')) assertGoogleShape(response.status, text);
          else expect([200]).toContain(response.status); // SSE streams
        },
      ),
      { numRuns: 300 },
    );
    expect(
      (await post(emulator.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, { 'x-goog-api-key': 'k' }))
        .status,
    ).toBe(200);
  });

  it('survives a body over the limit and a client that disconnects mid-stream', async () => {
    const big = await post(emulator.url, '/v1beta/models/gemini-2.5-flash:generateContent', 'x'.repeat(200 * 1024), {
      'x-goog-api-key': 'k',
    });
    expect(big.status).toBe(400);
    const controller = new AbortController();
    const response = await fetch(`${emulator.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      body: JSON.stringify(hello),
      headers: { 'x-goog-api-key': 'k' },
      signal: controller.signal,
    });
    controller.abort();
    await response.body?.cancel().catch(() => undefined);
    expect((await request(`${emulator.url}/_emulator/stats`)).status).toBe(200);
  });
});
