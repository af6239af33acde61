// Mid-stream repair end to end: the emulator breaks a stream after its first chunks (Gemini's raw
// error object in the 200 body, as the real API writes it), and the library, the gateway's native
// route with the real @google/genai SDK, and its OpenAI route with the real openai SDK each deliver
// the whole answer: the same text as an unbroken call.
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/client/index.js';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import type { GenerateContentResponse } from '../src/wire/index.js';
import { startStack } from './helpers/stack.js';

const KEY = 'stream-repair-key-0001';
const PROMPT = 'Write a short paragraph about a lighthouse keeper at dusk.';
const request = { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] };
/** The first stream breaks with a 503 after its first chunk(s); every later one is whole. */
const BREAK_ONCE: EmulatorConfig = { faults: [{ status: 503, midStream: true, first: 1 }] };

async function emulator(config: EmulatorConfig): Promise<EmulatorHandle> {
  return (await startStack({ emulator: config, gateway: false })).emulator;
}

async function gateway(upstream: string, config: GatewayConfig = {}): Promise<GatewayHandle> {
  return (await startStack({ upstream, gateway: { keys: [KEY], ...config } })).gateway;
}

const textOf = (chunk: GenerateContentResponse) =>
  (chunk.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => !part.thought)
    .map((part) => part.text ?? '')
    .join('');

/** The answer as an unbroken stream gives it (a fault-free emulator: answers are deterministic). */
async function unbroken(): Promise<string> {
  const clean = await emulator({});
  const client = createClient({ keys: [KEY], baseUrl: clean.url });
  let text = '';
  for await (const chunk of client.generateContentStream('gemini-2.5-flash', request)) text += textOf(chunk);
  return text;
}

describe('stream repair', () => {
  it('library: a stream broken after its first chunk is restarted and delivered whole, once', async () => {
    const expected = await unbroken();
    const emu = await emulator(BREAK_ONCE);
    const client = createClient({ keys: [KEY], baseUrl: emu.url, streamRepair: 'restart' });
    const repairs: unknown[] = [];
    client.on('stream-repair', (event) => repairs.push(event));
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of client.generateContentStream('gemini-2.5-flash', request)) chunks.push(chunk);
    expect(chunks.map(textOf).join('')).toBe(expected);
    expect(emu.stats().midStreamErrors).toBe(1);
    expect(emu.stats().total).toBe(2);
    expect(repairs).toEqual([expect.objectContaining({ mode: 'restart', strategy: 'restart', outcome: 'repaired' })]);
    expect(chunks.some((chunk) => (chunk as { gemwarden?: unknown }).gemwarden)).toBe(true);
  });

  it('library, mode off: the break still ends with the typed error and the partial text', async () => {
    const emu = await emulator(BREAK_ONCE);
    const client = createClient({ keys: [KEY], baseUrl: emu.url });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of client.generateContentStream('gemini-2.5-flash', request)) text += textOf(chunk);
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'unavailable', partialText: text });
    expect(emu.stats().total).toBe(1);
  });

  it('gateway + @google/genai (auto): the SDK reads the whole answer, and /metrics counts the repair', async () => {
    const expected = await unbroken();
    const emu = await emulator(BREAK_ONCE);
    const gw = await gateway(emu.url, { streamRepair: 'auto' });
    const ai = new GoogleGenAI({ apiKey: 'anything', httpOptions: { baseUrl: gw.url } });
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: PROMPT }))
      text += chunk.text ?? '';
    expect(text).toBe(expected);
    expect(emu.stats().midStreamErrors).toBe(1);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gemwarden_stream_repairs_total\{mode="auto",strategy="restart",outcome="repaired"\} 1/);
  });

  it('gateway: the per-request header chooses the mode, is echoed, and a bad value is a 400 in the envelope', async () => {
    const expected = await unbroken();
    const emu = await emulator(BREAK_ONCE);
    const gw = await gateway(emu.url);
    const url = `${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`;
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gemwarden-stream-repair': 'sometimes' },
      body: JSON.stringify(request),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
    expect(emu.stats().total).toBe(0);

    const good = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gemwarden-stream-repair': 'Restart' },
      body: JSON.stringify(request),
    });
    expect(good.headers.get('x-gemwarden-stream-repair')).toBe('restart');
    const events = (await good.text())
      .split(/\r?\n\r?\n/)
      .filter((event) => event.startsWith('data: '))
      .map((event) => JSON.parse(event.slice(6)) as GenerateContentResponse);
    expect(events.map(textOf).join('')).toBe(expected);
    expect(events.filter((event) => (event as { gemwarden?: unknown }).gemwarden)).toHaveLength(1);
    expect(new Set(events.map((event) => event.responseId)).size).toBe(1);
  });

  it('gateway + openai SDK: a streamed chat completion is whole after a break', async () => {
    const expected = await unbroken();
    const emu = await emulator(BREAK_ONCE);
    const gw = await gateway(emu.url, { streamRepair: 'restart' });
    const openai = new OpenAI({ apiKey: 'anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(expected);
    expect(emu.stats().midStreamErrors).toBe(1);
  });
});
