// The Vercel AI SDK (`ai` + `@ai-sdk/google`) pointed at the gateway, as its users point it (a
// baseURL, no custom fetch): every call must end as the same call sent straight to the emulator
// does (do no harm). test/ai-sdk-fetch.test.ts covers the SDK through createGeminiFetch instead.
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { embed, embedMany, generateObject, generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useStack } from './helpers/stack.js';

const stack = useStack({});

/** The same provider twice: through the gateway and straight to the emulator. */
function providers() {
  return {
    through: createGoogleGenerativeAI({ baseURL: `${stack.url}/v1beta`, apiKey: 'client-token' }),
    direct: createGoogleGenerativeAI({ baseURL: `${stack.emulator.url}/v1beta`, apiKey: 'direct-key-0001' }),
  };
}

describe('Vercel AI SDK through gemwarden serve', () => {
  it('generateText gives the same text, finish reason and token counts as the emulator', async () => {
    const { through, direct } = providers();
    const call = (google: typeof through) =>
      generateText({ model: google('gemini-2.5-flash'), prompt: 'Name three rivers of Europe.', maxRetries: 0 });
    const [a, b] = await Promise.all([call(through), call(direct)]);
    expect(a.text.length).toBeGreaterThan(0);
    expect(a.text).toBe(b.text);
    expect(a.finishReason).toBe(b.finishReason);
    expect(a.usage.inputTokens).toBe(b.usage.inputTokens);
    expect(a.usage.outputTokens).toBe(b.usage.outputTokens);
  });

  it('streamText streams the same text in more than one part', async () => {
    const { through, direct } = providers();
    const read = async (google: typeof through) => {
      const parts: string[] = [];
      const result = streamText({
        model: google('gemini-2.5-flash'),
        prompt: 'Describe a lighthouse at night in a few sentences.',
        maxRetries: 0,
      });
      for await (const part of result.textStream) parts.push(part);
      return { parts, finishReason: await result.finishReason };
    };
    const [a, b] = await Promise.all([read(through), read(direct)]);
    expect(a.parts.length).toBeGreaterThan(1);
    expect(a.parts.join('')).toBe(b.parts.join(''));
    expect(a.finishReason).toBe(b.finishReason);
  });

  it('generateObject gives the same object, valid for the schema', async () => {
    const { through, direct } = providers();
    const schema = z.object({ city: z.string(), population: z.number(), landmarks: z.array(z.string()) });
    const call = (google: typeof through) =>
      generateObject({
        model: google('gemini-2.5-flash'),
        schema,
        prompt: 'Describe Lisbon.',
        maxRetries: 0,
      });
    const [a, b] = await Promise.all([call(through), call(direct)]);
    expect(schema.safeParse(a.object).success).toBe(true);
    expect(a.object).toEqual(b.object);
  });

  it('embed and embedMany give the same vectors as the emulator', async () => {
    const { through, direct } = providers();
    const one = (google: typeof through) =>
      embed({ model: google.embeddingModel('gemini-embedding-001'), value: 'a quiet harbour', maxRetries: 0 });
    const many = (google: typeof through) =>
      embedMany({
        model: google.embeddingModel('gemini-embedding-001'),
        values: ['first line', 'second line', 'third line'],
        maxRetries: 0,
      });
    const [a, b] = await Promise.all([one(through), one(direct)]);
    expect(a.embedding.length).toBe(3072);
    expect(a.embedding).toEqual(b.embedding);
    const [c, d] = await Promise.all([many(through), many(direct)]);
    expect(c.embeddings).toHaveLength(3);
    expect(c.embeddings).toEqual(d.embeddings);
    // Different texts give different vectors, so the comparison above can fail.
    expect(c.embeddings[0]).not.toEqual(c.embeddings[1]);
  });

  it('an unknown model fails with the same status and message as straight to the emulator', async () => {
    const { through, direct } = providers();
    const failure = (google: typeof through) =>
      generateText({ model: google('gemini-no-such-model'), prompt: 'hi', maxRetries: 0 }).then(
        () => {
          throw new Error('expected a failure');
        },
        (error: unknown) => error as { statusCode?: number; message: string },
      );
    const [a, b] = await Promise.all([failure(through), failure(direct)]);
    expect(b.statusCode).toBe(404);
    expect(a.statusCode).toBe(b.statusCode);
    expect(a.message).toBe(b.message);
  });
});
