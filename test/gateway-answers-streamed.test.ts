// Do no harm for answers that are valid but unusable (issue 15), the streamed half and the API
// version: through the gateway, a blocked, filtered or thinking-truncated answer reaches the real
// SDKs as the 200 Gemini sent, streamed or not, on the native and the OpenAI route; what gemwarden
// saw is named in `x-gemwarden-kind`, or, when it shows only after the headers went out, in the last
// chunk's `gemwarden.kind` and in /metrics; `/v1/…` goes upstream as `/v1/…`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GoogleGenAI, type GenerateContentResponse as SdkResponse } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { EmulatorConfig } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import type { GenerateContentResponse } from '../src/wire/index.js';
import { hello, post, request } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const KEY = `AIza${''}SyStreamedAnswersStreamedAnswers22`;

/** The gateway in front of the emulator; returns both URLs. */
async function setup(
  emulatorConfig: EmulatorConfig = {},
  config: GatewayConfig = {},
): Promise<{ gw: GatewayHandle; upstream: string }> {
  const stack = await startStack({ emulator: emulatorConfig, gateway: { keys: [KEY], ...config } });
  return { gw: stack.gateway, upstream: stack.upstreamUrl };
}

async function gateway(upstream: string, config: GatewayConfig = {}): Promise<GatewayHandle> {
  return (await startStack({ upstream, gateway: { keys: [KEY], ...config } })).gateway;
}

/** A loopback upstream streaming `chunks` (SSE) to every call; what an emulator fault cannot script. */
async function scripted(chunks: GenerateContentResponse[]): Promise<string> {
  const server: Server = createServer((incoming, response) => {
    incoming.resume();
    incoming.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Closed after the test's stacks (started later, closed first).
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function collect(stream: AsyncIterable<SdkResponse>): Promise<SdkResponse[]> {
  const chunks: SdkResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function upstreamPaths(upstream: string): Promise<string[]> {
  const log = (await request(`${upstream}/_emulator/requests`)).json as { requests: Array<{ path: string }> };
  return log.requests.map((entry) => entry.path);
}

/** The `data:` chunks of an SSE body, parsed. */
function sseChunks(text: string): Array<GenerateContentResponse & { gemwarden?: { kind?: string } }> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((event) => event.startsWith('data: '))
    .map((event) => JSON.parse(event.slice('data: '.length)) as GenerateContentResponse);
}

/** A thinking model with a small output limit: thinking spends it all, MAX_TOKENS with no text. */
const thinkingCut = { maxOutputTokens: 16 };

describe('@google/genai through the gateway: unusable answers stay the 200 Gemini sent, streamed too', () => {
  it('a blocked prompt streams as promptFeedback.blockReason with usage, no exception, x-gemwarden-kind blocked', async () => {
    const { gw } = await setup({ faults: [{ blockReason: 'PROHIBITED_CONTENT' }] });
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const chunks = await collect(await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.promptFeedback?.blockReason).toBe('PROHIBITED_CONTENT');
    expect(chunks[0]!.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(chunks[0]!.sdkHttpResponse?.headers?.['x-gemwarden-kind']).toBe('blocked');

    const raw = await post(gw.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('x-gemwarden-kind')).toBe('blocked');
    expect(raw.headers.get('x-gemwarden-attempts')).toBe('1');
  });

  it('a thinking-truncated answer gives finishReason MAX_TOKENS with its usage, streamed and not', async () => {
    const { gw } = await setup();
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const whole = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi', config: thinkingCut });
    expect(whole.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(whole.text).toBeUndefined();
    expect(whole.usageMetadata?.thoughtsTokenCount).toBe(16);
    expect(whole.sdkHttpResponse?.headers?.['x-gemwarden-kind']).toBe('truncated');

    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
      config: thinkingCut,
    });
    const chunks = await collect(stream);
    const last = chunks.at(-1)!;
    expect(last.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe('');
    expect(last.usageMetadata?.thoughtsTokenCount).toBe(16);
    expect(last.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
  });

  it('a stream with candidateCount 2 delivers both candidates to their end', async () => {
    const { gw } = await setup();
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const chunks = await collect(
      await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'Tell me a story',
        config: { candidateCount: 2 },
      }),
    );
    const texts = ['', ''];
    const finishes: Array<string | undefined> = [undefined, undefined];
    for (const chunk of chunks)
      for (const candidate of chunk.candidates ?? []) {
        const index = candidate.index ?? 0;
        texts[index] += (candidate.content?.parts ?? []).map((part) => part.text ?? '').join('');
        finishes[index] ??= candidate.finishReason;
      }
    expect(finishes).toEqual(['STOP', 'STOP']);
    expect(texts[0]!.length).toBeGreaterThan(0);
    expect(texts[1]!.length).toBeGreaterThan(0);
    expect(texts[1]).not.toBe(texts[0]);
  });

  it('fallbackOnBlocked applies to a stream blocked before its first chunk; off, the blocked stream is the answer', async () => {
    const faults = [{ model: 'gemini-2.5-pro', blockReason: 'OTHER' }];
    const { gw, upstream } = await setup(
      { faults },
      { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] }, fallbackOnBlocked: true },
    );
    const fallen = await post(gw.url, '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', hello);
    expect(fallen.status).toBe(200);
    expect(fallen.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
    expect(fallen.headers.get('x-gemwarden-kind')).toBeNull();
    expect(sseChunks(fallen.text).at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');

    const plain = await gateway(upstream, { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] } });
    const kept = await post(plain.url, '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', hello);
    expect(kept.status).toBe(200);
    expect(kept.headers.get('x-gemwarden-model')).toBe('gemini-2.5-pro');
    expect(sseChunks(kept.text)).toMatchObject([{ promptFeedback: { blockReason: 'OTHER' } }]);
  });

  it('a finding after the first chunk is named in the last chunk and counted in /metrics', async () => {
    const chunks: GenerateContentResponse[] = [
      { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Once upon ' }] } }] },
      { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'a time' }] }, finishReason: 'SAFETY' }] },
      { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 } },
    ];
    const gw = await gateway(await scripted(chunks));
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const read = await collect(await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' }));
    expect(read.map((chunk) => chunk.text ?? '').join('')).toBe('Once upon a time');
    expect(read.some((chunk) => String(chunk.candidates?.[0]?.finishReason) === 'SAFETY')).toBe(true);
    expect(read.at(-1)?.usageMetadata?.totalTokenCount).toBe(7);
    expect(read[0]!.sdkHttpResponse?.headers?.['x-gemwarden-kind']).toBeUndefined();

    const raw = await post(gw.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello);
    const parsed = sseChunks(raw.text);
    expect(parsed.map(({ gemwarden: _note, ...chunk }) => chunk)).toEqual(chunks);
    expect(parsed.at(-1)!.gemwarden).toEqual({ kind: 'blocked' });
    expect(parsed.slice(0, -1).every((chunk) => chunk.gemwarden === undefined)).toBe(true);

    const array = await post(gw.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', hello);
    const elements = JSON.parse(array.text) as Array<GenerateContentResponse & { gemwarden?: unknown }>;
    expect(elements).toHaveLength(3);
    expect(elements.at(-1)!.gemwarden).toEqual({ kind: 'blocked' });
    const metrics = (await request(`${gw.url}/metrics`)).text;
    expect(metrics).toMatch(/gemwarden_failures_total\{kind="blocked"\} 3\n/);
  });
});

describe('the API version the client chose is the version sent upstream', () => {
  it('/v1 stays /v1 for generateContent, both stream forms and countTokens; /v1beta stays /v1beta', async () => {
    const { gw, upstream } = await setup();
    expect((await post(gw.url, '/v1/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    expect((await post(gw.url, '/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello)).status).toBe(200);
    expect((await post(gw.url, '/v1/models/gemini-2.5-flash:streamGenerateContent', hello)).status).toBe(200);
    expect((await post(gw.url, '/v1/models/gemini-2.5-flash:countTokens', hello)).status).toBe(200);
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    const paths = (await upstreamPaths(upstream)).map((path) => path.split('?')[0]);
    expect(paths).toEqual([
      '/v1/models/gemini-2.5-flash:generateContent',
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
      '/v1/models/gemini-2.5-flash:countTokens',
      '/v1beta/models/gemini-2.5-flash:generateContent',
    ]);
  });

  it('@google/genai with apiVersion v1 reaches the upstream on v1', async () => {
    const { gw, upstream } = await setup();
    const ai = new GoogleGenAI({ apiKey: 'x', apiVersion: 'v1', httpOptions: { baseUrl: gw.url } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(response.text?.length).toBeGreaterThan(0);
    await collect(await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' }));
    expect((await upstreamPaths(upstream)).map((path) => path.split('?')[0])).toEqual([
      '/v1/models/gemini-2.5-flash:generateContent',
      '/v1/models/gemini-2.5-flash:streamGenerateContent',
    ]);
  });
});

describe('openai SDK through the gateway against the emulator: blocks and cuts are finish reasons', () => {
  async function finishesOf(openai: OpenAI, body: Record<string, unknown>): Promise<Array<string | null>> {
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      ...body,
      stream: true,
    });
    const finishes: Array<string | null> = [];
    for await (const chunk of stream) finishes.push(chunk.choices[0]?.finish_reason ?? null);
    return finishes;
  }

  it('a blocked prompt is content_filter, streamed and not, status 200, one upstream call each', async () => {
    const { gw, upstream } = await setup({ faults: [{ blockReason: 'SAFETY' }] });
    const openai = new OpenAI({ apiKey: 'x', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]!.finish_reason).toBe('content_filter');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gemwarden-kind')).toBe('blocked');
    expect((await finishesOf(openai, {})).at(-1)).toBe('content_filter');
    expect(await upstreamPaths(upstream)).toHaveLength(2);
  });

  it('a thinking-truncated answer is length, streamed and not, with its reasoning tokens', async () => {
    const { gw } = await setup();
    const openai = new OpenAI({ apiKey: 'x', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const cut = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Think hard' }],
      max_completion_tokens: 16,
    });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens_details?.reasoning_tokens).toBe(16);
    expect((await finishesOf(openai, { max_completion_tokens: 16 })).at(-1)).toBe('length');
  });

  it('a stream filtered after its first chunk ends with content_filter and counts in /metrics', async () => {
    const gw = await gateway(
      await scripted([
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Once upon ' }] } }] },
        { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'a time' }] }, finishReason: 'SAFETY' }] },
      ]),
    );
    const openai = new OpenAI({ apiKey: 'x', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    const finishes: Array<string | null> = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finishes.push(chunk.choices[0]?.finish_reason ?? null);
    }
    expect(text).toBe('Once upon a time');
    expect(finishes.at(-1)).toBe('content_filter');
    expect((await request(`${gw.url}/metrics`)).text).toMatch(/gemwarden_failures_total\{kind="blocked"\} 1\n/);
  });

  it('the x-gemwarden-stream-repair header chooses repair per request; a bad value is a 400 before any upstream call', async () => {
    const { gw, upstream } = await setup({ faults: [{ status: 503, midStream: true, first: 1 }] });
    const body = {
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user' as const, content: 'Tell me about lighthouses' }],
    };
    const bad = await post(
      gw.url,
      '/v1/chat/completions',
      { ...body, stream: true },
      {
        'x-gemwarden-stream-repair': 'sometimes',
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(await upstreamPaths(upstream)).toHaveLength(0);

    const openai = new OpenAI({
      apiKey: 'x',
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-gemwarden-stream-repair': 'restart' },
    });
    const { data: stream, response } = await openai.chat.completions
      .create({ ...body, stream: true as const })
      .withResponse();
    expect(response.headers.get('x-gemwarden-stream-repair')).toBe('restart');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    const whole = await openai.chat.completions.create(body);
    expect(text).toBe(whole.choices[0]!.message.content);
    // The broken stream, its restart, and the whole answer read to compare.
    expect(await upstreamPaths(upstream)).toHaveLength(3);
  });
});

describe('the status page explains the last failures in the words of their situation', () => {
  it("a prompt blocked for OTHER shows explain()'s words for OTHER, not only the kind's", async () => {
    const { gw } = await setup({ faults: [{ blockReason: 'OTHER' }] });
    const reasons: string[] = [];
    gw.client.on('attempt-failed', (event) => reasons.push(event.reason));
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    const status = (await request(`${gw.url}/status.json`)).json as {
      recentErrors: Array<{ kind: string; title: string; explanation: string; action: string }>;
    };
    expect(status.recentErrors[0]).toMatchObject({ kind: 'blocked', title: 'Stopped for an unnamed reason (OTHER)' });
    // What the policy did is worded once, by the rule: the page shows the event's reason.
    expect(reasons).toEqual(['blocked by a filter']);
    expect(status.recentErrors[0]!.action).toBe('gave up (nothing can fix this by retrying): blocked by a filter');
    expect(status.recentErrors[0]!.explanation).toMatch(/without naming a category/);
  });
});
