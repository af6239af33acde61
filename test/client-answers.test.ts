// What the client does with 200 answers that carry no usable answer, and streams read to their end,
// over real sockets: the emulator for blocked and cut answers, a small scripted upstream for what
// the emulator does not produce (two candidates streamed, malformed function calls).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createClient, GeminiError } from '../src/index.js';
import type { GenerateContentResponse } from '../src/wire/index.js';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { hello } from './helpers/http.js';
import { startTestEmulator } from './helpers/stack.js';

async function emulate(config: EmulatorConfig): Promise<EmulatorHandle> {
  return startTestEmulator(config);
}

/** A loopback upstream answering every POST with `answer` (JSON) or `chunks` (SSE); counts calls. */
async function scripted(reply: {
  answer?: unknown;
  chunks?: unknown[];
}): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const server: Server = createServer((request, response) => {
    calls++;
    request.resume();
    request.on('end', () => {
      if (reply.chunks) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const chunk of reply.chunks) response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(reply.answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls };
}

async function failureOf(promise: Promise<unknown>): Promise<GeminiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GeminiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const FAST = { backoff: { baseMs: 5, maxMs: 20 } };

describe("answerChecks: 'report' returns unusable 200 answers as Gemini sent them", () => {
  it('a blocked prompt: promptFeedback kept, finding blocked, one attempt; the default still throws', async () => {
    const emu = await emulate({ faults: [{ blockReason: 'PROHIBITED_CONTENT' }] });
    const client = createClient({ keys: ['AIzaSyExample-report-000001'], baseUrl: emu.url, ...FAST });
    const result = await client.generateContent('gemini-2.5-flash', hello, { answerChecks: 'report' });
    expect(result.response.promptFeedback?.blockReason).toBe('PROHIBITED_CONTENT');
    expect(result.finding?.kind).toBe('blocked');
    expect(result.attempts).toHaveLength(1);
    const thrown = await failureOf(client.generateContent('gemini-2.5-flash', hello));
    expect(thrown.kind).toBe('blocked');
  });

  it('MAX_TOKENS with no text: the answer and its usage come back, finding truncated', async () => {
    const emu = await emulate({ faults: [{ finishReason: 'MAX_TOKENS' }] });
    const client = createClient({ keys: ['AIzaSyExample-report-000002'], baseUrl: emu.url, answerChecks: 'report' });
    const result = await client.generateContent('gemini-2.5-flash', hello);
    expect(result.response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(result.response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(result.finding?.kind).toBe('truncated');
  });

  it('SAFETY with fallbackOnBlocked: the next model is tried, and the last answer returned when it is blocked too', async () => {
    const emu = await emulate({ faults: [{ finishReason: 'SAFETY' }] });
    const client = createClient({
      keys: ['AIzaSyExample-report-000003'],
      baseUrl: emu.url,
      fallbackOnBlocked: true,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
    });
    const result = await client.generateContent('gemini-2.5-pro', hello, { answerChecks: 'report' });
    expect(result.attempts.map((attempt) => attempt.model)).toEqual(['gemini-2.5-pro', 'gemini-2.5-flash']);
    expect(result.model).toBe('gemini-2.5-flash');
    expect(result.response.candidates?.[0]?.finishReason).toBe('SAFETY');
    expect(result.finding?.kind).toBe('blocked');
  });

  it('MALFORMED_FUNCTION_CALL is not sent again unless retryUnusableAnswers is on', async () => {
    const answer: GenerateContentResponse = {
      candidates: [{ index: 0, finishReason: 'MALFORMED_FUNCTION_CALL', content: { role: 'model', parts: [] } }],
      usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
    };
    const upstream = await scripted({ answer });
    const keep = createClient({ keys: ['AIzaSyExample-report-000004'], baseUrl: upstream.url, ...FAST });
    const kept = await keep.generateContent('gemini-2.5-flash', hello, { answerChecks: 'report' });
    expect(kept.response).toEqual(answer);
    expect(kept.finding?.kind).toBe('malformed_response');
    expect(upstream.calls()).toBe(1);
    const retry = createClient({
      keys: ['AIzaSyExample-report-000005'],
      baseUrl: upstream.url,
      retryUnusableAnswers: true,
      maxAttempts: 3,
      ...FAST,
    });
    const retried = await retry.generateContent('gemini-2.5-flash', hello, { answerChecks: 'report' });
    expect(retried.attempts).toHaveLength(3);
    expect(retried.response).toEqual(answer);
    expect(upstream.calls()).toBe(4);
  });
});

describe('streams are read to their end', () => {
  const twoCandidates: GenerateContentResponse[] = [
    { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Hello' }] } }] },
    { candidates: [{ index: 1, content: { role: 'model', parts: [{ text: 'Bonjour' }] } }] },
    { candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: [{ text: ' there' }] } }] },
    { candidates: [{ index: 1, finishReason: 'STOP', content: { role: 'model', parts: [{ text: ' à vous' }] } }] },
    { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 8, totalTokenCount: 11 } },
  ];

  it('candidateCount 2: every chunk of both candidates and the trailing usage reach the caller', async () => {
    const upstream = await scripted({ chunks: twoCandidates });
    const client = createClient({ keys: ['AIzaSyExample-stream-000001'], baseUrl: upstream.url });
    const received: GenerateContentResponse[] = [];
    for await (const chunk of client.generateContentStream('gemini-2.5-flash', hello)) received.push(chunk);
    expect(received).toEqual(twoCandidates);
  });

  it("a blocked stream in 'report' mode hands the chunk over with the finding instead of throwing", async () => {
    const blocked: GenerateContentResponse = {
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 },
    };
    const upstream = await scripted({ chunks: [blocked] });
    const client = createClient({ keys: ['AIzaSyExample-stream-000002'], baseUrl: upstream.url });
    const stream = client.generateContentStream('gemini-2.5-flash', hello, { answerChecks: 'report' });
    const received: GenerateContentResponse[] = [];
    for await (const chunk of stream) received.push(chunk);
    expect(received).toEqual([blocked]);
    expect(stream.finding?.kind).toBe('blocked');
    const throwing = client.generateContentStream('gemini-2.5-flash', hello);
    expect((await failureOf(throwing.start())).kind).toBe('blocked');
  });
});
