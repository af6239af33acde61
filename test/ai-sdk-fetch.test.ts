// The Vercel AI SDK gains gemwarden's remedies through the fetch we export.
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createGeminiFetch } from '../src/index.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startEmulator({ faults: [{ model: 'gemini-2.5-pro', status: 503 }] });
});
afterAll(() => emulator.close());

describe('Vercel AI SDK with createGeminiFetch', () => {
  it('generateText is answered by the fallback model while pro is down', async () => {
    const client = createClient({
      keys: ['pool-key-0001'],
      baseUrl: emulator.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      backoff: { baseMs: 10 },
    });
    const google = createGoogleGenerativeAI({
      baseURL: `${emulator.url}/v1beta`,
      apiKey: 'ignored-by-gemwarden',
      fetch: createGeminiFetch(client),
    });
    const result = await generateText({ model: google('gemini-2.5-pro'), prompt: 'Say hello', maxRetries: 0 });
    expect(result.text.length).toBeGreaterThan(10);
    expect(result.response.headers?.['x-gemwarden-model']).toBe('gemini-2.5-flash');
  });

  it('streamText works through the same fetch', async () => {
    const client = createClient({
      keys: ['pool-key-0001'],
      baseUrl: emulator.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      backoff: { baseMs: 10 },
    });
    const google = createGoogleGenerativeAI({
      baseURL: `${emulator.url}/v1beta`,
      apiKey: 'ignored',
      fetch: createGeminiFetch(client),
    });
    const result = streamText({ model: google('gemini-2.5-pro'), prompt: 'Say hello', maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text.length).toBeGreaterThan(10);
  });

  it('without gemwarden, the same SDK call fails on the 503', async () => {
    const google = createGoogleGenerativeAI({ baseURL: `${emulator.url}/v1beta`, apiKey: 'plain-key' });
    await expect(generateText({ model: google('gemini-2.5-pro'), prompt: 'Say hello', maxRetries: 0 })).rejects.toThrow(
      /overloaded|demand|unavailable/i,
    );
  });
});
