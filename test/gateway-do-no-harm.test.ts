// Do no harm, gateway side (issue 15): what the gateway answers is never worse than Gemini's own
// answer, and what it could not fix is visible (Retry-After, failures after the first chunk,
// readiness per model).
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { GATEWAY_DEFAULTS, type GatewayConfig, type GatewayHandle } from '../src/gateway/index.js';
import { hello, post, request } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const KEY = `AIza${''}SyNoHarmNoHarmNoHarmNoHarmNoHarm1111`;
let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;

async function setup(emulatorConfig: EmulatorConfig, config: GatewayConfig = {}): Promise<GatewayHandle> {
  const stack = await startStack({ emulator: emulatorConfig, gateway: { keys: [KEY], ...config } });
  emulator = stack.emulator;
  gateway = stack.gateway;
  return gateway;
}

describe('a 200 stays a 200 on the native route', () => {
  it('a blocked prompt reaches @google/genai as promptFeedback.blockReason, usage kept, no exception', async () => {
    const gw = await setup({ faults: [{ model: 'gemini-2.5-flash', blockReason: 'SAFETY' }] }, { maxAttempts: 3 });
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });
    expect(response.promptFeedback?.blockReason).toBe('SAFETY');
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(response.sdkHttpResponse?.headers?.['x-gemwarden-kind']).toBe('blocked');
    expect(response.sdkHttpResponse?.headers?.['x-gemwarden-attempts']).toBe('1');
    expect(emulator!.stats().total).toBe(1);
  });

  it('MAX_TOKENS with no text comes back as Gemini sent it, with its usage', async () => {
    const gw = await setup({ faults: [{ finishReason: 'MAX_TOKENS' }] });
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });
    expect(response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(response.sdkHttpResponse?.headers?.['x-gemwarden-kind']).toBe('truncated');
  });

  it('fallbackOnBlocked is opt-in: it answers from the next model, and when it gives up the last 200 is untouched', async () => {
    const blockedPro = { faults: [{ model: 'gemini-2.5-pro', blockReason: 'OTHER' }] };
    const chain = { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] } };
    let gw = await setup(blockedPro, { ...chain, fallbackOnBlocked: true });
    const fallen = await post(gw.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
    expect(fallen.status).toBe(200);
    expect(fallen.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
    expect((fallen.json as { candidates: unknown[] }).candidates.length).toBe(1);
    await gateway!.close();
    await emulator!.close();

    gw = await setup({ faults: [{ blockReason: 'OTHER' }] }, { ...chain, fallbackOnBlocked: true });
    const last = await post(gw.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
    expect(last.status).toBe(200);
    expect(last.json).toMatchObject({ promptFeedback: { blockReason: 'OTHER' }, modelVersion: 'gemini-2.5-flash' });
    expect(last.headers.get('x-gemwarden-kind')).toBe('blocked');
  });
});

describe('do no harm', () => {
  it('a 429 with a known delay carries Retry-After in seconds, on both routes', async () => {
    // One request a day upstream: the second is refused until midnight Pacific, a known delay.
    const gw = await setup({ models: { 'gemini-2.5-flash': { rpd: 1 } } }, { maxAttempts: 1 });
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    const gemini = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(gemini.status).toBe(429);
    const delayMs = (gemini.json as { error: { gemwarden: { retryAfterMs: number | null } } }).error.gemwarden
      .retryAfterMs;
    expect(delayMs).toBeGreaterThan(0);
    expect(gemini.headers.get('retry-after')).toBe(String(Math.max(1, Math.ceil(delayMs! / 1000))));
    const chat = await post(gw.url, '/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.status).toBe(429);
    expect(Number(chat.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('a stream that fails after its first chunk raises gemwarden_failures_total by one and shows on the status page', async () => {
    const gw = await setup({ faults: [{ status: 503, midStream: true }] }, { maxAttempts: 1 });
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    const before = (await request(`${gw.url}/metrics`)).text;
    expect(before).not.toMatch(/gemwarden_failures_total\{kind="unavailable"\}/);
    let text = '';
    const failure = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hello' }))
        text += chunk.text ?? '';
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(text.length).toBeGreaterThan(0);
    const metrics = (await request(`${gw.url}/metrics`)).text;
    expect(metrics).toMatch(/gemwarden_failures_total\{kind="unavailable"\} 1\n/);
    expect(metrics).toMatch(/gemwarden_requests_total\{route="gemini",status="200"\} 1\n/);
    const status = (await request(`${gw.url}/status.json`)).json as {
      recentErrors: { kind: string; action: string }[];
    };
    expect(status.recentErrors[0]).toMatchObject({ kind: 'unavailable', action: expect.stringMatching(/first chunk/) });

    const openai = new OpenAI({ apiKey: 'x', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch(() => undefined);
    expect((await request(`${gw.url}/metrics`)).text).toMatch(/gemwarden_failures_total\{kind="unavailable"\} 2\n/);
  });

  it('/readyz answers per configured model and is 503 once a configured model has no usable key', async () => {
    const gw = await setup(
      { keys: [{ key: KEY, state: 'suspended' }] },
      { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] }, maxAttempts: 1 },
    );
    const before = await request(`${gw.url}/readyz`);
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({
      ready: true,
      models: { 'gemini-2.5-pro': { ready: true, usableKeys: 1 }, 'gemini-2.5-flash': { ready: true } },
    });
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello)).status).toBe(403);
    const after = await request(`${gw.url}/readyz`);
    expect(after.status).toBe(503);
    expect(after.json).toMatchObject({ ready: false, models: { 'gemini-2.5-pro': { ready: false, usableKeys: 0 } } });
  });

  it('the config timeout reaches the client: a slow healthy answer costs one attempt when the timeout allows it', async () => {
    let gw = await setup({ latency: { firstTokenMs: 1500 } }, { timeout: { initialMs: 400, factor: 10 } });
    const cut = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(cut.status).toBe(200);
    expect(Number(cut.headers.get('x-gemwarden-attempts'))).toBeGreaterThan(1);
    await gateway!.close();
    await emulator!.close();
    gw = await setup({ latency: { firstTokenMs: 1500 } }, { timeout: { initialMs: 20_000 } });
    const whole = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('x-gemwarden-attempts')).toBe('1');
    expect(emulator!.stats().total).toBe(1);
  });

  it('accepts a body as large as Gemini documents for inline data by default', async () => {
    expect(GATEWAY_DEFAULTS.bodyLimitBytes).toBeGreaterThanOrEqual(100 * 1000 * 1000);
    const gw = await setup({});
    // Above the 21 MiB the gateway used to refuse.
    const bytes = 22 * 1024 * 1024;
    const answer = await post(gw.url, '/v1beta/models/gemini-2.5-flash:countTokens', {
      contents: [{ parts: [{ text: 'x'.repeat(bytes) }] }],
    });
    expect(answer.status).not.toBe(413);
  });
});

describe('an open circuit is about generation only', () => {
  it('countTokens on a model whose circuit is open is answered as Gemini answers it', async () => {
    const gw = await setup(
      { faults: [{ model: 'gemini-2.5-flash', status: 503, rate: 1 }] },
      { maxAttempts: 1, breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
    );
    const generate = { contents: [{ parts: [{ text: 'hello there' }] }] };
    for (let i = 0; i < 2; i++) await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', generate);
    const refused = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', generate);
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/circuit open/);
    const before = emulator!.stats().total;
    const counted = await post(gw.url, '/v1beta/models/gemini-2.5-flash:countTokens', generate);
    expect(counted.status).toBe(200);
    expect((counted.json as { totalTokens?: number }).totalTokens).toBeGreaterThan(0);
    expect(emulator!.stats().total).toBe(before + 1);
  });
});
