// In-process tests of the emulator's handler: no sockets, the fake clock where time matters.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/index.js';
import { createEmulatorHandler } from './handler.js';
import { matchRoute, type EmulatorRoute } from './router.js';
import { splitText, streamChunks } from './stream-answer.js';

const BASE = 'http://emulator.test';
const KEY = { 'x-goog-api-key': 'key-one' };
const hello = { contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }] };

function post(path: string, body: unknown, headers: Record<string, string> = KEY): Request {
  return new Request(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('emulator router', () => {
  const routes: EmulatorRoute[] = [
    { method: 'GET', pattern: /^\/a\/(?<id>[^/]+)$/, auth: 'admin', handle: async () => new Response('a') },
    { method: ['POST', 'PUT'], pattern: /^\/b$/, auth: 'admin', handle: async () => new Response('b') },
  ];
  it('matches by method and path, gives named groups, and tells a wrong method from no route', () => {
    const found = matchRoute(routes, 'GET', '/a/x1');
    expect(found.type === 'route' && found.params).toEqual({ id: 'x1' });
    expect(matchRoute(routes, 'PUT', '/b').type).toBe('route');
    expect(matchRoute(routes, 'POST', '/a/x1').type).toBe('wrong-method');
    expect(matchRoute(routes, 'GET', '/c').type).toBe('none');
  });
});

describe('emulator handler in process', () => {
  it('answers generateContent and counts it', async () => {
    const emulator = createEmulatorHandler({ seed: 2 });
    const response = await emulator.fetch(post('/v1beta/models/gemini-2.5-flash:generateContent', hello));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { candidates: Array<{ finishReason: string }> };
    expect(body.candidates[0]!.finishReason).toBe('STOP');
    expect(emulator.state.stats()).toMatchObject({
      total: 1,
      byStatus: { '200': 1 },
      byModel: { 'gemini-2.5-flash': 1 },
    });
  });

  it('answers unknown paths, wrong methods and undecodable paths with 404 "Method not found."', async () => {
    const emulator = createEmulatorHandler();
    for (const request of [
      new Request(`${BASE}/v1beta/nothing`, { headers: KEY }),
      new Request(`${BASE}/v1beta/models/gemini-2.5-flash:generateContent`, { headers: KEY }),
      new Request(`${BASE}/v1beta/models/%E0%A4%A`, { headers: KEY }),
    ]) {
      const response = await emulator.fetch(request);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe('Method not found.');
    }
  });

  it('checks the key before reading anything else', async () => {
    const emulator = createEmulatorHandler({ keys: [{ key: 'good-key-0001', state: 'suspended' }] });
    const none = await emulator.fetch(post('/v1beta/models/gemini-2.5-flash:generateContent', hello, {}));
    expect(none.status).toBe(403);
    const suspended = await emulator.fetch(
      post('/v1beta/models/gemini-2.5-flash:generateContent', hello, { 'x-goog-api-key': 'good-key-0001' }),
    );
    expect(((await suspended.json()) as { error: { message: string } }).error.message).toContain('has been suspended');
  });

  it('refuses a body over the limit by its Content-Length and as read', async () => {
    const emulator = createEmulatorHandler({ maxBodyBytes: 100 });
    const response = await emulator.fetch(
      post('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ parts: [{ text: 'x'.repeat(200) }] }] }),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Request payload size exceeds the limit: 100 bytes.');
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(30)));
        controller.close();
      },
    });
    const chunked = await emulator.fetch(
      new Request(`${BASE}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: KEY,
        body: streamed,
        duplex: 'half',
      } as RequestInit),
    );
    expect(chunked.status).toBe(400);
  });

  it('answers 408 in the envelope when a body does not arrive in time (fake clock)', async () => {
    const clock = new FakeClock();
    const emulator = createEmulatorHandler({ bodyTimeoutMs: 5_000 }, clock);
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"contents": ['));
      },
    });
    const pending = emulator.fetch(
      new Request(`${BASE}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: KEY,
        body: stalled,
        duplex: 'half',
      } as RequestInit),
    );
    await clock.advance(5_001);
    const response = await pending;
    expect(response.status).toBe(408);
    expect(((await response.json()) as { error: { status: string } }).error.status).toBe('DEADLINE_EXCEEDED');
  });

  it('streams through the same handler, pacing chunks on the clock', async () => {
    const clock = new FakeClock();
    const emulator = createEmulatorHandler({ latency: { firstTokenMs: 1_000 } }, clock);
    const response = await emulator.fetch(post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = response.text();
    await clock.advance(1_000);
    const events = (await text).split('\r\n\r\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((event) => event.startsWith('data: {'))).toBe(true);
  });
});

describe('stream chunks', () => {
  it('cut mid-word in characters mode and rejoin exactly', () => {
    const text = 'Ünïcödé 😀 words, "quoted" and\nnew lines';
    const pieces = splitText(text, 'characters');
    expect(pieces.join('')).toBe(text);
    expect(pieces.some((piece) => /\w$/.test(piece))).toBe(true);
  });

  it('give each candidate its index, and its finishReason on its last piece only', () => {
    const chunks = streamChunks({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'one two three four five six seven eight nine' }] },
          finishReason: 'STOP',
          index: 0,
        },
        { content: { role: 'model', parts: [{ text: 'short' }] }, finishReason: 'STOP', index: 1 },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 9, totalTokenCount: 12 },
    });
    expect(chunks.length).toBe(3);
    expect(chunks[0]!.candidates!.map((candidate) => candidate.index)).toEqual([0, 1]);
    expect(chunks[0]!.candidates![0]!.finishReason).toBeUndefined();
    expect(chunks[0]!.candidates![1]!.finishReason).toBe('STOP');
    expect(chunks[2]!.candidates!.map((candidate) => candidate.index)).toEqual([0]);
    expect(chunks[2]!.usageMetadata!.candidatesTokenCount).toBe(9);
    const joined = chunks.map((chunk) => chunk.candidates!.find((c) => c.index === 0)?.content?.parts?.[0]?.text ?? '');
    expect(joined.join('')).toBe('one two three four five six seven eight nine');
  });
});
