import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { hello, post, request, sleep } from './helpers/http.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
async function start(config: EmulatorConfig = {}): Promise<EmulatorHandle> {
  emulator = await startTestEmulator(config);
  return emulator;
}
const KEY = { 'x-goog-api-key': 'key-one' };
const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';

describe('emulator: answers', () => {
  it('answers deterministically with consistent usageMetadata and countTokens', async () => {
    const { url } = await start({ seed: 3 });
    const first = await post(url, GENERATE, hello, KEY);
    const second = await post(url, GENERATE, hello, KEY);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(first.text).toContain('\n  "candidates": [');
    const body = first.json as {
      candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
      usageMetadata: { promptTokenCount: number };
    };
    expect(body.candidates[0]!.content.parts[0]!.text).toBe(
      (second.json as typeof body).candidates[0]!.content.parts[0]!.text,
    );
    const count = await post(url, '/v1beta/models/gemini-2.5-flash:countTokens', hello, KEY);
    expect((count.json as { totalTokens: number }).totalTokens).toBe(body.usageMetadata.promptTokenCount);
  });

  it('accepts the key in ?key= and serves /v1 too', async () => {
    const { url } = await start();
    expect((await post(url, '/v1/models/gemini-2.5-pro:generateContent?key=abc', hello)).status).toBe(200);
    const models = await request(`${url}/v1beta/models`, { headers: KEY });
    expect((models.json as { models: Array<{ name: string }> }).models.map((m) => m.name)).toContain(
      'models/gemini-2.5-pro',
    );
    const model = await request(`${url}/v1beta/models/gemini-2.5-flash`, { headers: KEY });
    expect((model.json as { inputTokenLimit: number }).inputTokenLimit).toBe(1_048_576);
  });

  it('follows responseSchema and transforms id maps found in the prompt', async () => {
    const { url } = await start({ models: { 'echo-model': { answer: 'echo' } } });
    const prompt = 'Translate the values of this JSON object into French:\n{"l1": "Hello, world", "l2": "  spaced  "}';
    const request = {
      contents: [{ role: 'user', parts: [{ text: prompt }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: {
          type: 'OBJECT',
          properties: { l1: { type: 'STRING' }, l2: { type: 'STRING' } },
          required: ['l1', 'l2'],
        },
      },
    };
    const generated = await post(url, GENERATE, request, KEY);
    const text = (generated.json as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> })
      .candidates[0]!.content.parts[0]!.text;
    expect(JSON.parse(text)).toEqual({ l1: 'Uryyb, jbeyq', l2: '  fcnprq  ' });
    const echoed = await post(url, '/v1beta/models/echo-model:generateContent', request, KEY);
    const echoText = (echoed.json as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> })
      .candidates[0]!.content.parts[0]!.text;
    expect(JSON.parse(echoText)).toEqual({ l1: 'Hello, world', l2: '  spaced  ' });
  });

  it("streams as SSE and as Google's JSON array", async () => {
    const { url } = await start();
    const sse = await post(url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello, KEY);
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(
      sse.text
        .split('\r\n\r\n')
        .filter(Boolean)
        .every((event) => event.startsWith('data: {')),
    ).toBe(true);
    const array = await post(url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', hello, KEY);
    expect(array.text.startsWith('[{\n')).toBe(true);
    expect(array.text).toContain('\n,\r\n{');
    expect(Array.isArray(JSON.parse(array.text))).toBe(true);
  });

  it('cuts at maxOutputTokens with finishReason MAX_TOKENS', async () => {
    const { url } = await start();
    const cut = await post(url, GENERATE, { ...hello, generationConfig: { maxOutputTokens: 2 } }, KEY);
    expect((cut.json as { candidates: Array<{ finishReason: string }> }).candidates[0]!.finishReason).toBe(
      'MAX_TOKENS',
    );
  });
});

describe('emulator: validation', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '{"contents": [', /^Invalid JSON payload received/],
    ['unknown top-level field', { ...hello, foo: 1 }, /Unknown name "foo": Cannot find field\./],
    ['missing contents', {}, /contents is not specified/],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, /must not be empty/],
    [
      'bad role',
      { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] },
      /^Please use a valid role: user, model\.$/,
    ],
    [
      'wrong type',
      { ...hello, generationConfig: { temperature: 'hot' } },
      /Invalid value at 'generation_config\.temperature'/,
    ],
    ['array body', [1, 2], /Invalid JSON payload received/],
  ];
  for (const [name, body, message] of cases) {
    it(`${name} → 400 INVALID_ARGUMENT`, async () => {
      const { url } = await start();
      const result = await post(url, GENERATE, body, KEY);
      expect(result.status).toBe(400);
      const error = (result.json as { error: { status: string; message: string } }).error;
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    });
  }

  it("input over the model's token limit", async () => {
    const { url } = await start({ models: { 'gemini-2.5-flash': { inputTokenLimit: 10 } } });
    const result = await post(url, GENERATE, { contents: [{ parts: [{ text: 'x'.repeat(400) }] }] }, KEY);
    expect((result.json as { error: { message: string } }).error.message).toBe(
      'The input token count (100) exceeds the maximum number of tokens allowed (10).',
    );
  });

  it('body over the size limit', async () => {
    const { url } = await start({ maxBodyBytes: 1000 });
    const result = await post(url, GENERATE, { contents: [{ parts: [{ text: 'x'.repeat(5000) }] }] }, KEY);
    expect(result.status).toBe(400);
    expect((result.json as { error: { message: string } }).error.message).toBe(
      'Request payload size exceeds the limit: 1000 bytes.',
    );
  });

  it('unknown model names the method as the real API does', async () => {
    const { url } = await start();
    const result = await post(url, '/v1beta/models/gemini-9:streamGenerateContent?alt=sse', hello, KEY);
    expect(result.status).toBe(404);
    expect((result.json as { error: { message: string } }).error.message).toMatch(
      /^models\/gemini-9 is not found for API version v1beta, or is not supported for streamGenerateContent\./,
    );
  });
});

describe('emulator: quotas on a compressed clock', () => {
  it('counts per project, not per key, and frees the minute', async () => {
    const { url } = await start({
      keys: [
        { key: 'k1', project: 'p1' },
        { key: 'k2', project: 'p1' },
        { key: 'k3', project: 'p2' },
      ],
      models: { 'gemini-2.5-flash': { rpm: 2 } },
      clock: { minuteMs: 400 },
    });
    expect((await post(url, GENERATE, hello, { 'x-goog-api-key': 'k1' })).status).toBe(200);
    expect((await post(url, GENERATE, hello, { 'x-goog-api-key': 'k2' })).status).toBe(200);
    const refused = await post(url, GENERATE, hello, { 'x-goog-api-key': 'k1' });
    expect(refused.status).toBe(429);
    const error = (refused.json as { error: { message: string; details: Array<Record<string, unknown>> } }).error;
    expect(error.message).toMatch(
      /Quota exceeded for metric: generativelanguage\.googleapis\.com\/generate_content_free_tier_requests, limit: 2, model: gemini-2\.5-flash/,
    );
    expect(error.message).toMatch(/Please retry in 0\.\d+s\./);
    expect(error.details.map((detail) => detail['@type'])).toEqual([
      'type.googleapis.com/google.rpc.Help',
      'type.googleapis.com/google.rpc.QuotaFailure',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect((await post(url, GENERATE, hello, { 'x-goog-api-key': 'k3' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await post(url, GENERATE, hello, { 'x-goog-api-key': 'k1' })).status).toBe(200);
  });

  it('a spent day answers with the per-day quota id until the day resets', async () => {
    const { url } = await start({ models: { 'gemini-2.5-pro': { rpd: 1 } }, clock: { minuteMs: 100, dayMs: 600 } });
    const path = '/v1beta/models/gemini-2.5-pro:generateContent';
    expect((await post(url, path, hello, KEY)).status).toBe(200);
    const refused = await post(url, path, hello, KEY);
    expect(refused.text).toContain('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    await new Promise((resolve) => setTimeout(resolve, 650));
    expect((await post(url, path, hello, KEY)).status).toBe(200);
  });

  it('rpd 0 means no quota at all on the tier (limit: 0)', async () => {
    const { url } = await start({ models: { 'gemini-2.5-pro': { rpd: 0 } } });
    const refused = await post(url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, KEY);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('limit: 0');
  });

  it('paid tiers name paid quota ids; tokens per minute are counted', async () => {
    const { url } = await start({
      keys: [{ key: 'paid', project: 'p', tier: 'tier1' }],
      models: { 'gemini-2.5-flash': { tpm: 150 } },
    });
    const big = { contents: [{ parts: [{ text: 'y'.repeat(400) }] }] };
    expect((await post(url, GENERATE, big, { 'x-goog-api-key': 'paid' })).status).toBe(200);
    const refused = await post(url, GENERATE, big, { 'x-goog-api-key': 'paid' });
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('GenerateContentPaidTierInputTokensPerModelPerMinute');
  });
});

describe('emulator: faults, deadlines, admin', () => {
  it('every N-th, first N and time windows', async () => {
    const { url } = await start({
      faults: [
        { model: 'gemini-2.5-flash', status: 500, every: 3 },
        { model: 'gemini-2.5-pro', status: 503, first: 2 },
      ],
    });
    const flash = [];
    for (let i = 0; i < 6; i++) flash.push((await post(url, GENERATE, hello, KEY)).status);
    expect(flash).toEqual([200, 200, 500, 200, 200, 500]);
    const pro = [];
    for (let i = 0; i < 3; i++)
      pro.push((await post(url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, KEY)).status);
    expect(pro).toEqual([503, 503, 200]);
  });

  it('a seeded rate gives the same pattern each run', async () => {
    const pattern = async () => {
      const { url } = await start({ seed: 42, faults: [{ status: 503, rate: 0.5 }] });
      const statuses = [];
      for (let i = 0; i < 12; i++) statuses.push((await post(url, GENERATE, hello, KEY)).status);
      await emulator?.close();
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it("502 is Google's HTML page", async () => {
    const { url } = await start({ faults: [{ status: 502 }] });
    const result = await post(url, GENERATE, hello, KEY);
    expect(result.status).toBe(502);
    expect(result.headers.get('content-type')).toContain('text/html');
    expect(result.text).toContain('Error 502 (Server Error)!!1');
  });

  it('504 when the answer would outlast X-Server-Timeout', async () => {
    const { url } = await start({ latency: { firstTokenMs: 5000 } });
    const result = await post(url, GENERATE, hello, { ...KEY, 'x-server-timeout': '0.2' });
    expect(result.status).toBe(504);
    expect((result.json as { error: { status: string } }).error.status).toBe('DEADLINE_EXCEEDED');
  });

  it('500 for input above a configured size', async () => {
    const { url } = await start({ models: { 'gemini-2.5-flash': { internalErrorAboveTokens: 5 } } });
    expect((await post(url, GENERATE, hello, KEY)).status).toBe(200);
    expect((await post(url, GENERATE, { contents: [{ parts: [{ text: 'z'.repeat(100) }] }] }, KEY)).status).toBe(500);
  });

  it('counts every request; reset clears; config is replaced at run time', async () => {
    const { url } = await start();
    await post(url, GENERATE, hello, KEY);
    await post(url, '/v1beta/models/nope:generateContent', hello, KEY);
    await post(url, GENERATE, hello);
    const stats = (await request(`${url}/_emulator/stats`)).json as {
      total: number;
      byStatus: Record<string, number>;
      byModel: Record<string, number>;
    };
    expect(stats).toMatchObject({
      total: 3,
      byStatus: { 200: 1, 404: 1, 403: 1 },
      byModel: { 'gemini-2.5-flash': 2, nope: 1 },
    });
    const replaced = await request(`${url}/_emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ faults: [{ status: 503 }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(replaced.status).toBe(200);
    expect((await post(url, GENERATE, hello, KEY)).status).toBe(503);
    const bad = await request(`${url}/_emulator/config`, {
      method: 'PUT',
      body: JSON.stringify({ faults: [{ status: 999 }] }),
    });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { message: string } }).error.message).toMatch(/faults\.0\.status/);
    await request(`${url}/_emulator/reset`, { method: 'POST' });
    expect(((await request(`${url}/_emulator/stats`)).json as { total: number }).total).toBe(0);
  });
});

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing. */
function rawExchange(url: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(payload);
    });
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('emulator: HTTP edges over a real socket', () => {
  it("answers the HTTP parser's own errors in Google's envelope", async () => {
    const { url } = await start();
    const garbage = await rawExchange(url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)) as {
      error: { code: number; status: string };
    };
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const huge = await rawExchange(
      url,
      `GET /v1beta/models HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('"code": 431');
  });

  it('answers 408 in the envelope to a body that stalls, and keeps serving others', async () => {
    const { url } = await start({ bodyTimeoutMs: 300 });
    const stalled = rawExchange(
      url,
      'POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1\r\nhost: x\r\nx-goog-api-key: k\r\n' +
        'content-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{"contents": [',
    );
    expect((await post(url, GENERATE, hello, KEY)).status).toBe(200);
    const answer = await stalled;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"status": "DEADLINE_EXCEEDED"');
  });

  it('counts a client that leaves before the answer as an abort', async () => {
    const { url } = await start({ latency: { firstTokenMs: 5_000 } });
    const leaving = new AbortController();
    const gone = fetch(`${url}${GENERATE}`, {
      method: 'POST',
      headers: { ...KEY, 'content-type': 'application/json' },
      body: JSON.stringify(hello),
      signal: leaving.signal,
    }).catch(() => undefined);
    await sleep(200);
    leaving.abort();
    await gone;
    const deadline = Date.now() + 5_000;
    while (emulator!.stats().clientAborts === 0 && Date.now() < deadline) await sleep(20);
    expect(emulator!.stats().clientAborts).toBe(1);
  });
});
