// The emulator's resources over a real socket, driven by the real @google/genai SDK.
import { GoogleGenAI, type LiveServerMessage } from '@google/genai';
import { describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
function sdk(url: string, apiKey = 'key-sdk-000001'): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } });
}

describe('emulator resources with @google/genai', () => {
  it('embeds one text and many, uploads, caches and runs a Live turn', async () => {
    emulator = await startTestEmulator({ clock: { minuteMs: 600 } });
    const ai = sdk(emulator.url);
    const one = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'hello' });
    expect(one.embeddings?.[0]?.values).toHaveLength(3072);
    const many = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['a', 'b'],
      config: { outputDimensionality: 256, taskType: 'RETRIEVAL_DOCUMENT' },
    });
    expect(many.embeddings?.map((embedding) => embedding.values?.length)).toEqual([256, 256]);

    const file = await ai.files.upload({
      file: new Blob(['plain words '.repeat(600)], { type: 'text/plain' }),
      config: { displayName: 'words' },
    });
    expect(file.name).toMatch(/^files\//);
    expect((await ai.files.get({ name: file.name! })).sizeBytes).toBe(String(12 * 600));
    const cache = await ai.caches.create({
      model: 'gemini-2.5-flash',
      config: { contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] }] },
    });
    const answer = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'what is in it?',
      config: { cachedContent: cache.name! },
    });
    expect(answer.usageMetadata?.cachedContentTokenCount).toBe(cache.usageMetadata?.totalTokenCount);
    await ai.caches.delete({ name: cache.name! });
    await ai.files.delete({ name: file.name! });

    const messages: LiveServerMessage[] = [];
    let turnDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (turnDone = resolve));
    const session = await ai.live.connect({
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
    const text = messages.flatMap((message) => message.serverContent?.modelTurn?.parts ?? []).map((part) => part.text);
    expect(text.join('').length).toBeGreaterThan(0);
  });

  it('closes a Live session with an unknown key with code 1008', async () => {
    emulator = await startTestEmulator({ keys: [{ key: 'key-known-0001' }] });
    const closed = new Promise<CloseEvent>((resolve) => {
      void sdk(emulator!.url, 'key-unknown-01').live.connect({
        model: 'gemini-2.0-flash-live-001',
        callbacks: { onmessage: () => undefined, onclose: (event) => resolve(event) },
      });
    });
    const event = await closed;
    expect(event.code).toBe(1008);
    expect(event.reason).toContain('API key not valid');
  });
});
