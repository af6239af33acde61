// Do no harm, found by driving the real @google/genai through the gateway as a user would: each
// case once made a call through the gateway end worse than the same call sent straight upstream.
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { describeOutcome, outcomeOf } from './helpers/sdk-outcomes.js';
import { useStack } from './helpers/stack.js';
import { startStandInUpstream, type StandInUpstream } from './helpers/stand-in-upstream.js';

const KEY = 'key-sdk-pending-0001';
const stack = useStack({
  emulator: {
    keys: [{ key: KEY, project: 'alpha' }],
    faults: [
      { promptContains: 'blockme', finishReason: 'SAFETY' },
      { promptContains: 'always500', status: 500 },
      { promptContains: 'resetme', midStream: true, breakAs: 'reset', breakAfterChunks: 1 },
    ],
  },
  gateway: { keys: [{ key: KEY, project: 'alpha' }], maxAttempts: 3 },
});
let upstream: StandInUpstream;
const standIn = useStack({
  upstream: async () => (upstream = await startStandInUpstream()),
  gateway: { keys: [{ key: KEY, project: 'alpha' }] },
});

describe('pending findings', () => {
  it('a client on API version v1 reaches the upstream on v1', async () => {
    const direct = new GoogleGenAI({ apiKey: KEY, apiVersion: 'v1', httpOptions: { baseUrl: stack.emulator.url } });
    const through = new GoogleGenAI({
      apiKey: 'client-token',
      apiVersion: 'v1',
      httpOptions: { baseUrl: stack.gateway.url },
    });
    const left = await outcomeOf(() => direct.models.generateContent({ model: 'gemini-0.0-f2a', contents: 'hi' }));
    const right = await outcomeOf(() => through.models.generateContent({ model: 'gemini-0.0-f2b', contents: 'hi' }));
    expect(left).toMatchObject({ ok: false, message: expect.stringContaining('for API version v1,') });
    expect(right).toMatchObject({ ok: false, message: expect.stringContaining('for API version v1,') });
  });

  it('live.music.connect (Lyria RealTime, BidiGenerateMusic) opens through the gateway as it does direct', async () => {
    const open = (ai: GoogleGenAI, expectedSockets: number) =>
      outcomeOf(
        () =>
          new Promise((resolve, reject) => {
            void ai.live.music
              .connect({
                model: 'models/lyria-realtime-exp',
                callbacks: {
                  onmessage: () => undefined,
                  onerror: () => reject(new Error('WebSocket error before the session opened')),
                  onclose: (event) => resolve({ closed: event.code }),
                },
              })
              .then(async (session) => {
                // The gateway opens its upstream socket once the SDK's setup arrives; close after it.
                for (let i = 0; i < 100 && upstream.sockets.length < expectedSockets; i++)
                  await new Promise((done) => setTimeout(done, 20));
                session.close();
                resolve('open');
              }, reject);
          }),
      );
    const left = await open(new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: upstream.url } }), 1);
    const right = await open(new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: standIn.url } }), 2);
    expect(left).toMatchObject({ ok: true, value: 'open' });
    expect(right).toEqual(left);
    expect(upstream.sockets.map((socket) => socket.path)).toEqual([
      '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateMusic',
      '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateMusic',
    ]);
  });

  it('a streamed answer that ends with finishReason SAFETY reaches the SDK as the 200 chunks Gemini sent', async () => {
    const run = (baseUrl: string, apiKey: string) =>
      outcomeOf(async () => {
        const chunks = [];
        const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl } });
        for await (const chunk of await ai.models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: 'blockme please',
        }))
          chunks.push(chunk.candidates);
        return chunks;
      });
    const left = await run(stack.emulator.url, KEY);
    expect(left.ok).toBe(true);
    expect(await run(stack.gateway.url, 'client-token')).toMatchObject({
      ok: true,
      value: (left as { value: unknown }).value,
    });
  });

  it('after one request-specific 500, the next call to the same model still reaches Gemini and succeeds', async () => {
    const fresh = await stack.addGateway({ keys: [{ key: KEY, project: 'alpha' }] });
    try {
      const ai = new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: fresh.url } });
      const failed = await outcomeOf(() =>
        ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'always500 story' }),
      );
      expect(failed).toMatchObject({ ok: false, httpStatus: 500 });
      const next = await outcomeOf(() => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hello' }));
      expect(next.ok ? 'ok' : describeOutcome(next)).toBe('ok');
    } finally {
      await fresh.close();
    }
  });

  it('after one stream broken mid-way, the next call to the same model still reaches Gemini and succeeds', async () => {
    const fresh = await stack.addGateway({ keys: [{ key: KEY, project: 'alpha' }], maxAttempts: 2 });
    try {
      const ai = new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: fresh.url } });
      await outcomeOf(async () => {
        for await (const chunk of await ai.models.generateContentStream({
          model: 'gemini-2.0-flash',
          contents: 'resetme story',
        }))
          void chunk;
      });
      const next = await outcomeOf(() => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hello' }));
      expect(next.ok ? 'ok' : describeOutcome(next)).toBe('ok');
    } finally {
      await fresh.close();
    }
  });
});
