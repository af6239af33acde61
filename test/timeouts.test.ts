// Every wait is bounded, and no healthy call is cut (issues 12 and 15), over real sockets against
// the emulator: a stream that stalls after its first chunk ends within the idle limit (library,
// gateway native route with @google/genai, OpenAI route with the openai SDK); a call whose deadline
// leaves no time makes no upstream request; the wait for a free upstream connection is not counted
// as the upstream being slow. Time is scaled down: limits of a few hundred ms stand for minutes.
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createClient, type GeminiError } from '../src/index.js';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, type GatewayConfig, type GatewayHandle } from '../src/gateway/index.js';
import { hello, post, request, sleep } from './helpers/http.js';
import { recordingFetch } from './helpers/recording-fetch.js';
import { startStack } from './helpers/stack.js';

const KEY = `AIza${''}SyTimeoutsTimeoutsTimeoutsTimeo2222`;
const FLASH = 'gemini-2.5-flash';
/** The first chunk arrives, then nothing more: the connection stays open and silent. */
const STALL_AFTER_FIRST_CHUNK = { midStream: true, breakAs: 'stall', breakAfterChunks: 1 } as const;

let emulator: EmulatorHandle | undefined;

async function startUpstream(config: EmulatorConfig): Promise<EmulatorHandle> {
  emulator = (await startStack({ emulator: config, gateway: false })).emulator;
  return emulator;
}

async function setup(emulatorConfig: EmulatorConfig, config: GatewayConfig = {}): Promise<GatewayHandle> {
  const stack = await startStack({ emulator: emulatorConfig, gateway: { keys: [KEY], ...config } });
  emulator = stack.emulator;
  return stack.gateway;
}

/** Waits (bounded) until the emulator has seen a client leave. */
async function clientLeft(upstream: EmulatorHandle): Promise<number> {
  for (let waited = 0; upstream.stats().clientAborts === 0 && waited < 5_000; waited += 20) await sleep(20);
  return upstream.stats().clientAborts;
}

describe('a stream stalled after its first chunk ends within the idle limit', () => {
  it('library: a typed timeout error (blame network) with the partial text, and the upstream connection closed', async () => {
    const upstream = await startUpstream({ faults: [STALL_AFTER_FIRST_CHUNK] });
    const client = createClient({ keys: [KEY], baseUrl: upstream.url, timeout: { idleMs: 300 } });
    let text = '';
    let failure: GeminiError | undefined;
    try {
      for await (const chunk of client.generateContentStream(FLASH, hello))
        text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
    } catch (error) {
      failure = error as GeminiError;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(failure?.kind).toBe('timeout');
    expect(failure?.blame).toBe('network');
    expect(failure?.partialText).toBe(text);
    expect(failure?.message).toMatch(/timeout\.idleMs/);
    expect(await clientLeft(upstream)).toBe(1);
  });

  it('library: requestMs ends a stream that is alive but longer than the whole call may take', async () => {
    // A chunk every 150 ms: never idle for 2 s, but longer than 700 ms in all.
    const upstream = await startUpstream({ latency: { perTokenMs: 40 } });
    const client = createClient({ keys: [KEY], baseUrl: upstream.url, timeout: { idleMs: 2_000, requestMs: 700 } });
    const prompt = { contents: [{ role: 'user', parts: [{ text: 'Tell me a long story about a lighthouse.' }] }] };
    const chunks: unknown[] = [];
    const failure = await (async () => {
      for await (const chunk of client.generateContentStream(FLASH, prompt)) chunks.push(chunk);
    })().then(
      () => undefined,
      (error: unknown) => error as GeminiError,
    );
    expect(chunks.length).toBeGreaterThan(0);
    expect(failure?.kind).toBe('timeout');
    expect(failure?.message).toMatch(/timeout\.requestMs/);
  });

  it('library with streamRepair: an idle break is repaired like any other break', async () => {
    const upstream = await startUpstream({ faults: [{ ...STALL_AFTER_FIRST_CHUNK, first: 1 }] });
    const client = createClient({
      keys: [KEY],
      baseUrl: upstream.url,
      timeout: { idleMs: 300 },
      streamRepair: 'restart',
    });
    let text = '';
    for await (const chunk of client.generateContentStream(FLASH, hello))
      text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
    const whole = await client.generateContent(FLASH, hello);
    expect(text).toBe(whole.text);
  });

  it('gateway, native route: @google/genai gets the chunk, then an error, and /metrics counts a timeout', async () => {
    const gw = await setup({ faults: [STALL_AFTER_FIRST_CHUNK] }, { timeout: { idleMs: 300 }, maxAttempts: 1 });
    const ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: gw.url } });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: FLASH, contents: 'Hello' }))
        text += chunk.text ?? '';
    })().catch((error: unknown) => error);
    expect(text.length).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).message)).toMatch(/silent|DEADLINE|timeout/i);
    expect((await request(`${gw.url}/metrics`)).text).toMatch(/gemwarden_failures_total\{kind="timeout"\} 1\n/);
    expect(await clientLeft(emulator!)).toBe(1);
  });

  it('gateway, OpenAI route: the openai SDK gets the chunk, then an error', async () => {
    const gw = await setup({ faults: [STALL_AFTER_FIRST_CHUNK] }, { timeout: { idleMs: 300 }, maxAttempts: 1 });
    const openai = new OpenAI({ apiKey: 'x', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: FLASH,
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((error: unknown) => error);
    expect(text.length).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(await clientLeft(emulator!)).toBe(1);
  });
});

describe('no attempt after the deadline', () => {
  it.each([{ timeout: { requestMs: 1 } }, { deadlineMs: 1 }])(
    'a 1 ms deadline (%j) sends nothing upstream and answers a timeout in the envelope',
    async (config) => {
      const gw = await setup({}, config);
      const answer = await post(gw.url, `/v1beta/models/${FLASH}:generateContent`, hello);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.headers.get('x-gemwarden-kind')).toBe('timeout');
      expect(answer.headers.get('x-gemwarden-attempts')).toBe('0');
      expect((answer.json as { error: { message: string } }).error.message).toMatch(/No attempt was started/);
      expect(emulator!.stats().total).toBe(0);
    },
  );
});

describe('non-streamed attempts: a healthy slow answer is never cut', () => {
  it('the default limit (600 s, sent as X-Server-Timeout) lets a slow answer through in one attempt', async () => {
    const upstream = await startUpstream({ latency: { firstTokenMs: 900 } });
    const recorder = recordingFetch();
    const client = createClient({ keys: [KEY], baseUrl: upstream.url, fetch: recorder.fetch });
    const result = await client.generateContent(FLASH, hello);
    expect(result.attempts).toHaveLength(1);
    expect(recorder.sent.map((sent) => sent.headers['x-server-timeout'])).toEqual(['600']);
    // A stream tells the server only a whole-call deadline, and only when there is one.
    for await (const chunk of client.generateContentStream(FLASH, hello)) void chunk;
    expect(recorder.sent[1]?.headers['x-server-timeout']).toBeUndefined();
    const bounded = createClient({
      keys: [KEY],
      baseUrl: upstream.url,
      fetch: recorder.fetch,
      timeout: { requestMs: 30_000 },
    });
    for await (const chunk of bounded.generateContentStream(FLASH, hello)) void chunk;
    expect(recorder.sent[2]?.headers['x-server-timeout']).toBe('30');
  });
});

describe('limits that mean "none"', () => {
  it('an infinite deadline and whole-call limit arm no timer (Node would fire one of over 24.8 days at once)', async () => {
    const upstream = await startUpstream({ latency: { firstTokenMs: 50 } });
    const client = createClient({
      keys: [KEY],
      baseUrl: upstream.url,
      deadlineMs: Number.POSITIVE_INFINITY,
      timeout: { requestMs: 30 * 86_400_000 },
    });
    expect((await client.generateContent(FLASH, hello)).attempts).toHaveLength(1);
    let chunks = 0;
    for await (const chunk of client.generateContentStream(FLASH, hello)) chunks += chunk.candidates ? 1 : 0;
    expect(chunks).toBeGreaterThan(0);
  });
});

describe('the upstream connection pool', () => {
  it('with a small pool, many slow answers all succeed: the wait for a connection is not an attempt timeout', async () => {
    // 16 answers of 300 ms over 4 connections: the last wave starts ~900 ms after the first, and
    // would pass a 1 s limit if the queue counted; each answer alone takes well under it.
    const gw = await setup(
      { latency: { firstTokenMs: 300 } },
      { upstreamConnections: 4, timeout: { initialMs: 1_000 }, maxAttempts: 1 },
    );
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => post(gw.url, `/v1beta/models/${FLASH}:generateContent`, hello)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(200));
    expect(answers.map((answer) => answer.headers.get('x-gemwarden-attempts'))).toEqual(Array(16).fill('1'));
    expect(emulator!.stats().total).toBe(16);
  });

  it('a wait for a free connection that outlasts the deadline says so, and sends nothing', async () => {
    const upstream = await startUpstream({ faults: [{ promptContains: 'slowly', latencyMs: 1_500 }] });
    const client = createClient({ keys: [KEY], baseUrl: upstream.url, upstreamConnections: 1, maxAttempts: 1 });
    const slow = client.generateContent(FLASH, { contents: [{ role: 'user', parts: [{ text: 'Answer slowly' }] }] });
    for (let waited = 0; upstream.stats().total === 0 && waited < 5_000; waited += 10) await sleep(10);
    const quick = await client.generateContent(FLASH, hello, { deadlineMs: 500 }).catch((error: unknown) => error);
    expect((quick as GeminiError).kind).toBe('timeout');
    expect((quick as GeminiError).message).toMatch(/No upstream connection became free/);
    expect((await slow).text.length).toBeGreaterThan(0);
    expect(upstream.stats().total).toBe(1);
  });

  it('the pool size is checked: the gateway config refuses a size that is not a positive integer', () => {
    expect(gatewayConfigSchema.safeParse({ upstreamConnections: 0 }).success).toBe(false);
    expect(() => createClient({ keys: [KEY], upstreamConnections: 1.5 })).toThrow(/upstream connections/);
  });
});
