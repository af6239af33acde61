// The gateway driven by the real SDKs (@google/genai, openai) against the emulator under faults,
// plus auth, formats, operations routes, logs and shutdown.
import { PassThrough } from 'node:stream';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { startGateway, type GatewayConfig, type GatewayHandle, type GatewayOptions } from '../src/gateway/index.js';
import { startServing } from '../src/cli/serve-command.js';
import { hello, post, request } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyUpstreamKeyUpstreamKeyUpstream4242`;
const TOKEN = 'client-token-for-tests';

async function setup(
  emulatorConfig: EmulatorConfig,
  gatewayConfig: GatewayConfig = {},
  options: GatewayOptions = {},
): Promise<{ emu: EmulatorHandle; gw: GatewayHandle }> {
  const stack = await startStack({
    emulator: emulatorConfig,
    gateway: { keys: [UPSTREAM_KEY], fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] }, ...gatewayConfig },
    gatewayOptions: options,
  });
  return { emu: stack.emulator, gw: stack.gateway };
}

const PRO_DOWN: EmulatorConfig = { faults: [{ model: 'gemini-2.5-pro', status: 503 }] };

describe('gateway with @google/genai', () => {
  it('generateContent: answered by gemini-2.5-flash while pro fails 503', async () => {
    const { gw } = await setup(PRO_DOWN);
    const ai = new GoogleGenAI({ apiKey: 'anything', httpOptions: { baseUrl: gw.url } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Hello' });
    expect(response.text?.length).toBeGreaterThan(10);
    expect(response.modelVersion).toBe('gemini-2.5-flash');
    expect(response.sdkHttpResponse?.headers?.['x-gemwarden-model']).toBe('gemini-2.5-flash');
  });

  it('generateContentStream over SSE', async () => {
    const { gw } = await setup(PRO_DOWN);
    const ai = new GoogleGenAI({ apiKey: 'anything', httpOptions: { baseUrl: gw.url } });
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hello' }))
      text += chunk.text ?? '';
    expect(text.length).toBeGreaterThan(10);
  });

  it('countTokens and models pass through', async () => {
    const { gw } = await setup({});
    const ai = new GoogleGenAI({ apiKey: 'anything', httpOptions: { baseUrl: gw.url } });
    expect(
      (await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'Hello there' })).totalTokens,
    ).toBeGreaterThan(0);
    const model = await ai.models.get({ model: 'gemini-2.5-pro' });
    expect(model.name).toBe('models/gemini-2.5-pro');
  });

  it("errors keep Gemini's envelope and add gemwarden's explanation", async () => {
    const { gw } = await setup({ faults: [{ status: 503 }] }, { maxAttempts: 2 });
    const result = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      'x-goog-api-key': 'x',
    });
    expect(result.status).toBe(503);
    expect(result.headers.get('x-gemwarden-attempts')).toBe('2');
    const error = (
      result.json as { error: { code: number; status: string; gemwarden: { kind: string; explanation: string } } }
    ).error;
    expect(error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    expect(error.gemwarden.kind).toBe('unavailable');
    expect(error.gemwarden.explanation).toMatch(/overloaded|capacity/);
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    await expect(ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' })).rejects.toThrow(
      /503|UNAVAILABLE|overloaded|demand|unavailable/,
    );
  });
});

describe('gateway with the OpenAI SDK', () => {
  it('chat.completions without stream: answered by flash, with usage', async () => {
    const { gw } = await setup(PRO_DOWN);
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({
        model: 'gemini-2.5-pro',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 200,
        stop: ['END'],
      })
      .withResponse();
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(10);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
  });

  it('chat.completions with stream and usage', async () => {
    const { gw } = await setup(PRO_DOWN);
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'gemini-2.5-pro',
        messages: [{ role: 'user', content: 'Hello' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(10);
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
  });

  it('response_format json_schema gives JSON that follows the schema', async () => {
    const { gw } = await setup({});
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Give a name and an age' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, age: { type: 'integer' } },
            required: ['name', 'age'],
          },
        },
      },
    });
    const value = JSON.parse(completion.choices[0]!.message.content!) as { name: string; age: number };
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.age)).toBe(true);
  });

  it('tools: function calls both ways, with and without stream', async () => {
    const { gw } = await setup({});
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
      tools,
    });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    const args = JSON.parse(call?.type === 'function' ? call.function.arguments : '{}') as { city: string };
    expect(typeof args.city).toBe('string');
    const second = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools,
      messages: [
        { role: 'user', content: 'What is the weather in Paris? Use get_weather.' },
        { role: 'assistant', content: null, tool_calls: [call!] },
        { role: 'tool', tool_call_id: call!.id, content: '{"temperature": 21}' },
      ],
    });
    expect(second.choices[0]!.message.content!.length).toBeGreaterThan(5);
    expect(second.choices[0]!.finish_reason).toBe('stop');
    const forced = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      tools,
      tool_choice: 'required',
      stream: true,
    });
    const names: string[] = [];
    for await (const chunk of forced)
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? [])
        if (delta.function?.name) names.push(delta.function.name);
    expect(names).toEqual(['get_weather']);
    const orphan = await post(gw.url, '/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'nope', content: '1' },
      ],
    });
    expect(orphan.status).toBe(400);
    expect((orphan.json as { error: { param: string } }).error.param).toBe('messages[1].tool_call_id');
  });

  it('models list serves both SDKs', async () => {
    const { gw } = await setup({});
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toContain('gemini-2.5-pro');
  });

  it("errors come in OpenAI's format with the kind", async () => {
    const { gw } = await setup({});
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const failure = await openai.chat.completions
      .create({ model: 'gemini-0-nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('not_found');
    const bad = await post(gw.url, '/v1/chat/completions', { model: 'gemini-2.5-flash', messages: [] });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { type: string; param: string } }).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages',
    });
  });
});

describe('gateway: auth, limits, operations', () => {
  it("requires a client token when configured, in each route's format, and never shows upstream keys", async () => {
    const { gw } = await setup({}, { clients: [{ token: TOKEN, name: 'tests' }] });
    const gemini = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      'x-goog-api-key': 'wrong-token',
    });
    expect(gemini.status).toBe(401);
    expect((gemini.json as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
    const openai = await post(
      gw.url,
      '/v1/chat/completions',
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] },
      { authorization: 'Bearer nope' },
    );
    expect(openai.status).toBe(401);
    expect((openai.json as { error: { type: string } }).error.type).toBe('authentication_error');
    const ok = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(ok.status).toBe(200);
    const sdk = new OpenAI({ apiKey: TOKEN, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect(
      (await sdk.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }))
        .choices,
    ).toHaveLength(1);
    for (const result of [gemini, openai, ok]) expect(result.text).not.toContain(UPSTREAM_KEY);
  });

  it('refuses to bind beyond loopback without client tokens', async () => {
    await expect(startGateway({ keys: ['k'] }, { host: '0.0.0.0', port: 0, logger: false })).rejects.toThrow(
      /client tokens/,
    );
  });

  it('bad bodies get clear errors and the server stays up', async () => {
    const { gw } = await setup({}, { bodyLimitBytes: 2000 });
    const invalid = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', '{"contents": [', {
      'x-goog-api-key': 'x',
    });
    expect(invalid.status).toBe(400);
    expect((invalid.json as { error: { message: string } }).error.message).toMatch(/^Invalid JSON payload received/);
    const big = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', {
      contents: [{ parts: [{ text: 'x'.repeat(5000) }] }],
    });
    expect(big.status).toBe(413);
    expect((big.json as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
    const unknown = await request(`${gw.url}/nope`);
    expect(unknown.status).toBe(404);
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
  });

  it('health, readiness and metrics without key material', async () => {
    const { gw } = await setup(PRO_DOWN);
    await post(gw.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
    expect((await request(`${gw.url}/healthz`)).status).toBe(200);
    expect((await request(`${gw.url}/readyz`)).json).toMatchObject({ ready: true, usableKeys: 1 });
    const metrics = (await request(`${gw.url}/metrics`)).text;
    expect(metrics).toMatch(/gemwarden_fallbacks_total\{from="gemini-2.5-pro",to="gemini-2.5-flash"\} 1/);
    expect(metrics).toMatch(/gemwarden_upstream_attempts_total\{model="gemini-2.5-pro",outcome="unavailable"\} 2/);
    expect(metrics).toMatch(/gemwarden_upstream_latency_seconds_bucket\{le="[^"]+",model="gemini-2.5-flash"\}/);
    expect(metrics).not.toContain('4242');
  });

  it('JSON logs never carry keys or tokens', async () => {
    const logs = new PassThrough();
    let text = '';
    logs.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const { gw } = await setup(
      { keys: [{ key: UPSTREAM_KEY, state: 'suspended' }, { key: `AIza${''}SySecondKeySecondKeySecondKey7777` }] },
      { keys: [UPSTREAM_KEY, `AIza${''}SySecondKeySecondKeySecondKey7777`], clients: [{ token: TOKEN, name: 't' }] },
      { logger: true, logDestination: logs },
    );
    await post(gw.url, `/v1beta/models/gemini-2.5-flash:generateContent?key=${TOKEN}`, hello);
    await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, { authorization: `Bearer ${TOKEN}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(text).toContain('key-disabled');
    expect(text).toContain('…4242');
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(TOKEN);
  });

  it('a client that disconnects aborts the upstream request', async () => {
    const { gw, emu } = await setup({ latency: { firstTokenMs: 3000 } });
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      body: JSON.stringify(hello),
      signal: controller.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await pending;
    const deadline = Date.now() + 2000;
    while (emu.stats().clientAborts === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emu.stats().clientAborts).toBe(1);
  });

  it('graceful shutdown lets in-flight requests finish', async () => {
    const { gw } = await setup({ latency: { firstTokenMs: 400 } });
    const inFlight = post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = gw.close();
    expect((await inFlight).status).toBe(200);
    await closing;
  });

  it('paces by the configured limits: a burst through the gateway is booked at most 4 sends per window', async () => {
    const { gw, emu } = await setup(
      { models: { 'gemini-2.5-flash': { rpm: 4 } }, clock: { minuteMs: 500 } },
      { limits: { 'gemini-2.5-flash': { rpm: 4 } }, quotaWindows: { minuteMs: 500 } },
    );
    // The pacer's own booked send times (epoch ms, one per attempt) say what it decided, whatever
    // the machine's load does to when requests then reach the emulator.
    const booked: number[] = [];
    const { pacer } = gw.client;
    const reserve = pacer.reserve.bind(pacer);
    pacer.reserve = async (...args) => {
      const ticket = await reserve(...args);
      booked.push(ticket.at);
      return ticket;
    };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)),
    );
    expect(results.map((result) => result.status)).toEqual(Array.from({ length: 10 }, () => 200));
    // No span of one (500 ms) minute holds more than the 4 requests the limit allows.
    const busiest = Math.max(...booked.map((start) => booked.filter((at) => at >= start && at < start + 500).length));
    expect(busiest).toBe(4);
    // One booking per attempt: 10 first attempts, plus one more for each 429 (a load-delayed send can
    // land in the emulator's next window early and be refused; the gateway then retries it).
    expect(booked.length).toBe(10 + (emu.stats().byStatus['429'] ?? 0));
  });

  it('without keys, the serve command puts the built-in emulator behind the gateway and says so', async () => {
    const lines: string[] = [];
    const serving = await startServing({}, { port: 0, logger: false, env: {}, notice: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toMatch(/BUILT-IN EMULATOR/);
      expect(serving.emulator).toBeDefined();
      expect((await post(serving.gateway.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(
        200,
      );
      expect(serving.emulator!.stats().byStatus['200']).toBeGreaterThan(0);
      expect((await request(`${serving.gateway.url}/readyz`)).json).toMatchObject({ upstream: /built-in emulator/ });
    } finally {
      await serving.close();
    }
  });

  it('the gateway module alone refuses to start without a key', async () => {
    await expect(startGateway({}, { port: 0, logger: false, env: {} })).rejects.toThrow(/no Gemini API key/);
  });
});
