// The gateway's pass-through with the real SDKs over sockets, against the emulator with two keys in
// two projects: every resource call reaches its owner's project, answers equal direct calls.
import { GoogleGenAI, JobState, type LiveServerMessage } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import { startStack } from './helpers/stack.js';

const KEY_A = 'key-alpha-00000001';
const KEY_B = 'key-beta-000000002';
const KEY_C = 'key-gamma-00000003';
const EMULATOR_KEYS = [
  { key: KEY_A, project: 'alpha' },
  { key: KEY_B, project: 'beta' },
  { key: KEY_C, project: 'gamma' },
];

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;

async function start(config: Partial<GatewayConfig> = {}, emulatorConfig: EmulatorConfig = {}) {
  const stack = await startStack({
    emulator: { keys: EMULATOR_KEYS, clock: { minuteMs: 600 }, ...emulatorConfig },
    gateway: {
      keys: [
        { key: KEY_A, project: 'alpha' },
        { key: KEY_B, project: 'beta' },
      ],
      maxAttempts: 4,
      ...config,
    },
  });
  emulator = stack.emulator;
  gateway = stack.gateway;
  return { emulator, gateway };
}

const sdk = (url: string, apiKey = 'client-token') => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } });

async function resourceStats(url: string): Promise<Record<string, Record<string, number>>> {
  const answer = (await (await fetch(`${url}/_emulator/resources`)).json()) as {
    byResource: Record<string, Record<string, number>>;
  };
  return answer.byResource;
}

describe('pass-through with @google/genai', () => {
  it('an embeddings batch (asyncBatchEmbedContent) runs at its owner project and gives the vectors of direct calls', async () => {
    await start();
    const through = sdk(gateway!.url);
    const direct = sdk(emulator!.url, KEY_A);
    const texts = ['first text', 'second text', 'third text'];
    const batch = await through.batches.createEmbeddings({
      model: 'gemini-embedding-001',
      src: { inlinedRequests: { contents: texts, config: { outputDimensionality: 8 } } },
      config: { displayName: 'vectors' },
    });
    expect(batch.name).toMatch(/^batches\//);
    let job = batch;
    while (job.state !== JobState.JOB_STATE_SUCCEEDED) {
      expect([JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING]).toContain(job.state);
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await through.batches.get({ name: batch.name! });
    }
    const vectors = job.dest?.inlinedEmbedContentResponses?.map((item) => item.response?.embedding?.values);
    const expected = await Promise.all(
      texts.map(async (text) => {
        const answer = await direct.models.embedContent({
          model: 'gemini-embedding-001',
          contents: text,
          config: { outputDimensionality: 8 },
        });
        return answer.embeddings?.[0]?.values;
      }),
    );
    expect(vectors).toEqual(expected);
    expect(vectors?.[0]).toHaveLength(8);
    const stats = await resourceStats(emulator!.url);
    expect(Object.keys(stats[batch.name!] ?? {})).toHaveLength(1);
    // An unknown model is refused the way Google refuses it, before any batch exists.
    const refused = await through.batches
      .createEmbeddings({ model: 'gemini-2.5-flash', src: { inlinedRequests: { contents: ['x'] } } })
      .catch((error: unknown) => error as { status?: number; message?: string });
    expect(refused).toMatchObject({ status: 404 });
    expect((refused as { message?: string }).message).toMatch(/asyncBatchEmbedContent/);
  });

  it('embeds, uploads, caches, batches and talks Live through the gateway, each at its owner project', async () => {
    await start();
    const through = sdk(gateway!.url);
    const direct = sdk(emulator!.url, KEY_A);

    const one = await through.models.embedContent({ model: 'gemini-embedding-001', contents: 'hello' });
    const oneDirect = await direct.models.embedContent({ model: 'gemini-embedding-001', contents: 'hello' });
    expect(one.embeddings?.[0]?.values).toEqual(oneDirect.embeddings?.[0]?.values);
    const many = await through.models.embedContent({ model: 'text-embedding-004', contents: ['a', 'b', 'c'] });
    expect(many.embeddings).toHaveLength(3);

    const file = await through.files.upload({
      file: new Blob(['plain words '.repeat(600)], { type: 'text/plain' }),
      config: { displayName: 'words' },
    });
    const owner = (await resourceStats(emulator!.url))[file.name!];
    expect(Object.keys(owner ?? {})).toHaveLength(1);
    const ownerProject = Object.keys(owner!)[0]!;
    const answer = await through.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'summarise' }, { fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] },
      ],
    });
    expect(answer.text?.length).toBeGreaterThan(0);
    expect((await through.files.get({ name: file.name! })).name).toBe(file.name);
    const listed: string[] = [];
    for await (const item of await through.files.list()) listed.push(item.name!);
    expect(listed).toContain(file.name);

    const cache = await through.caches.create({
      model: 'gemini-2.5-flash',
      config: { contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] }] },
    });
    const cached = await through.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'what is in it?',
      config: { cachedContent: cache.name! },
    });
    expect(cached.usageMetadata?.cachedContentTokenCount).toBe(cache.usageMetadata?.totalTokenCount);
    await through.caches.delete({ name: cache.name! });
    await through.files.delete({ name: file.name! });

    const batch = await through.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'one' }] }] }],
    });
    let job = batch;
    while (job.state !== JobState.JOB_STATE_SUCCEEDED) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await through.batches.get({ name: batch.name! });
    }
    const directAnswer = await direct.models.generateContent({ model: 'gemini-2.5-flash', contents: 'one' });
    expect(job.dest?.inlinedResponses?.[0]?.response?.candidates?.[0]?.content?.parts?.[0]?.text).toBe(
      directAnswer.text,
    );

    const stats = await resourceStats(emulator!.url);
    for (const name of [file.name!, cache.name!, batch.name!]) {
      expect(Object.keys(stats[name] ?? {}), name).toHaveLength(1);
    }
    expect(Object.keys(stats[file.name!]!)).toEqual([ownerProject]);

    const messages: LiveServerMessage[] = [];
    let turnDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (turnDone = resolve));
    const session = await through.live.connect({
      model: 'gemini-2.0-flash-live-001',
      callbacks: {
        onmessage: (message) => {
          messages.push(message);
          if (message.serverContent?.turnComplete) turnDone();
        },
      },
    });
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true });
    await done;
    session.close();
    const liveText = messages
      .flatMap((message) => message.serverContent?.modelTurn?.parts ?? [])
      .map((part) => part.text);
    expect(liveText.join('').length).toBeGreaterThan(0);
  });

  it("answers a third project's or an expired file with Google's 403 plus gemwarden's word, and keeps every key", async () => {
    await start();
    const foreign = await sdk(emulator!.url, KEY_C).files.upload({
      file: new Blob(['secret'], { type: 'text/plain' }),
    });
    const response = await fetch(`${gateway!.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        contents: [{ role: 'user', parts: [{ fileData: { fileUri: foreign.uri, mimeType: 'text/plain' } }] }],
      }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as {
      error: { message: string; status: string; gemwarden: { explanation: string } };
    };
    expect(body.error.status).toBe('PERMISSION_DENIED');
    expect(body.error.message).toContain('You do not have permission to access the File');
    expect(body.error.gemwarden.explanation).toContain('No project of this gateway can see files/');
    const get = await fetch(`${gateway!.url}/v1beta/${foreign.name}`);
    expect(get.status).toBe(403);

    const status = (await (await fetch(`${gateway!.url}/status.json`)).json()) as {
      keys: Array<{ healthy: boolean }>;
    };
    expect(status.keys.every((key) => key.healthy)).toBe(true);
    const plain = await sdk(gateway!.url).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(plain.text?.length).toBeGreaterThan(0);
  });

  it('retries an embedding on another project when one answers 429, and never changes the model unasked', async () => {
    await start({}, { faults: [{ project: 'alpha', model: 'gemini-embedding-001', status: 429 }] });
    const through = sdk(gateway!.url);
    for (let index = 0; index < 3; index++) {
      const answer = await through.models.embedContent({ model: 'gemini-embedding-001', contents: `text ${index}` });
      expect(answer.embeddings?.[0]?.values).toHaveLength(3072);
    }
    const stats = emulator!.stats();
    expect(stats.byStatus['429']).toBeGreaterThan(0);
  });
});

describe("pass-through of Google's OpenAI layer with the openai SDK", () => {
  it('chats (streamed and not) and embeds, and falls back when the primary model answers 503', async () => {
    await start(
      { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] } },
      { faults: [{ model: 'gemini-2.5-pro', status: 503 }] },
    );
    const openai = new OpenAI({ apiKey: 'client-token', baseURL: `${gateway!.url}/v1beta/openai/`, maxRetries: 0 });
    const chat = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(chat.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(chat.choices[0]?.message.content);
    const embedded = await openai.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b'] });
    expect(embedded.data).toHaveLength(2);
    const fallback = await openai.chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(fallback.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(fallback.model).toBe('gemini-2.5-flash');
  });
});
