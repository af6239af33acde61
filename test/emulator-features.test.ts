// The emulator's answer features and admin endpoints over a real socket, most through the real
// @google/genai SDK: validation like the API, thinking, thought signatures, several candidates,
// grounding, logprobs, block reasons, key states changed at run time, the request log, the ways a
// stream breaks, mid-word chunking and the continuation of a partial answer.
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { createEmulatorHandler, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { FakeClock } from '../src/time/index.js';
import { hello, post, request } from './helpers/http.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
async function start(config: EmulatorConfig = {}): Promise<EmulatorHandle> {
  emulator = await startTestEmulator(config);
  return emulator;
}
const KEY = { 'x-goog-api-key': 'key-0001' };
const generate = (model: string) => `/v1beta/models/${model}:generateContent`;
const sdk = (url: string, apiKey = 'key-0001') => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } });

interface ErrorBody {
  error: { code: number; message: string; status: string; details?: Array<{ fieldViolations?: unknown[] }> };
}
interface Answer {
  candidates: Array<{
    content: {
      role: string;
      parts?: Array<{ text?: string; thought?: boolean; thoughtSignature?: string; functionCall?: { name: string } }>;
    };
    finishReason: string;
    index: number;
    groundingMetadata?: { groundingChunks: unknown[]; webSearchQueries: string[] };
    logprobsResult?: { chosenCandidates: Array<{ token: string }>; topCandidates: Array<{ candidates: unknown[] }> };
    avgLogprobs?: number;
  }>;
  usageMetadata: {
    promptTokenCount: number;
    candidatesTokenCount?: number;
    thoughtsTokenCount?: number;
    totalTokenCount: number;
  };
}
const textOf = (answer: Answer, index = 0) =>
  (answer.candidates[index]!.content.parts ?? [])
    .filter((part) => !part.thought)
    .map((part) => part.text ?? '')
    .join('');

describe('emulator validates like the API', () => {
  it('bytes must be base64, with the API wording and the field in BadRequest', async () => {
    const { url } = await start();
    const bad = await post(
      url,
      generate('gemini-2.5-flash'),
      { contents: [{ parts: [{ text: 'see' }, { inlineData: { mimeType: 'image/png', data: '/api/file?id=1' } }] }] },
      KEY,
    );
    expect(bad.status).toBe(400);
    const body = bad.json as ErrorBody;
    expect(body.error.message).toBe(
      `Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed for "/api/file?id=1"`,
    );
    expect(body.error.details?.[0]?.fieldViolations).toEqual([
      { field: 'contents[0].parts[1].inline_data.data', description: body.error.message },
    ]);
    const good = await post(
      url,
      generate('gemini-2.5-flash'),
      {
        contents: [
          { parts: [{ inline_data: { mime_type: 'image/png', data: Buffer.from('png').toString('base64') } }] },
        ],
      },
      KEY,
    );
    expect(good.status).toBe(200);
  });

  it('enums name a value of the enum; ranges and thinking budgets are checked', async () => {
    const { url } = await start();
    const cases: Array<[string, unknown, string]> = [
      [
        'gemini-2.5-flash',
        { ...hello, safetySettings: [{ category: 'HARM_CATEGORY_NOPE', threshold: 'BLOCK_NONE' }] },
        `Invalid value at 'safety_settings[0].category' (type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), "HARM_CATEGORY_NOPE"`,
      ],
      ['gemini-2.5-flash', { ...hello, generationConfig: { temperature: 3 } }, 'temperature'],
      ['gemini-2.5-flash', { ...hello, generationConfig: { candidateCount: 9 } }, 'candidate_count'],
      [
        'gemini-2.5-flash',
        { ...hello, generationConfig: { thinkingConfig: { thinkingBudget: 99_999 } } },
        'The thinking budget (99999) is invalid.',
      ],
      [
        'gemini-2.5-pro',
        { ...hello, generationConfig: { thinkingConfig: { thinkingBudget: 0 } } },
        'Budget 0 is invalid. This model only works in thinking mode.',
      ],
    ];
    for (const [model, body, message] of cases) {
      const result = await post(url, generate(model), body, KEY);
      expect(result.status, message).toBe(400);
      expect((result.json as ErrorBody).error.message).toContain(message);
    }
    const off = await post(
      url,
      generate('gemini-2.5-flash'),
      { ...hello, generationConfig: { thinkingConfig: { thinkingBudget: 0 } } },
      KEY,
    );
    expect((off.json as Answer).usageMetadata.thoughtsTokenCount).toBeUndefined();
  });
});

describe('emulator thinking, signatures, candidates, grounding, logprobs (real SDK)', () => {
  it('thoughts when asked, counted in usage; a small limit is spent thinking: MAX_TOKENS, no text', async () => {
    const { url } = await start();
    const ai = sdk(url);
    const thought = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const parts = thought.candidates![0]!.content!.parts!;
    expect(parts[0]!.thought).toBe(true);
    expect(thought.text).toBeTruthy();
    expect(thought.text).not.toContain('Considering the request');
    expect(thought.usageMetadata!.thoughtsTokenCount).toBeGreaterThan(0);
    expect(thought.usageMetadata!.totalTokenCount).toBe(
      thought.usageMetadata!.promptTokenCount! +
        thought.usageMetadata!.candidatesTokenCount! +
        thought.usageMetadata!.thoughtsTokenCount!,
    );
    const cut = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
      config: { maxOutputTokens: 10 },
    });
    expect(cut.candidates![0]!.finishReason).toBe('MAX_TOKENS');
    expect(cut.text).toBeUndefined();
    expect(cut.usageMetadata!.thoughtsTokenCount).toBe(10);
    expect(cut.usageMetadata!.candidatesTokenCount).toBeUndefined();
  });

  it('Gemini 3 signs function calls and answers 400 when the next turn drops the signature', async () => {
    const { url } = await start();
    const ai = sdk(url);
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            parameters: { type: 'OBJECT' as never, properties: { city: { type: 'STRING' as never } } },
          },
        ],
      },
    ];
    const first = await ai.models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: 'Call get_weather for Paris',
      config: { tools },
    });
    const call = first.candidates![0]!.content!.parts!.find((part) => part.functionCall)!;
    expect(call.thoughtSignature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const history = (signature: string | undefined) => [
      { role: 'user', parts: [{ text: 'Call get_weather for Paris' }] },
      {
        role: 'model',
        parts: [{ functionCall: call.functionCall!, ...(signature ? { thoughtSignature: signature } : {}) }],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }] },
    ];
    const second = await ai.models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: history(call.thoughtSignature),
      config: { tools },
    });
    expect(second.text).toBeTruthy();
    const dropped = await post(url, generate('gemini-3-pro-preview'), { contents: history(undefined), tools }, KEY);
    expect(dropped.status).toBe(400);
    expect((dropped.json as ErrorBody).error.message).toBe(
      'Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, ' +
        'and missing thought_signature may lead to degraded model performance. Additional data, function call ' +
        '`default_api:get_weather` , position 2. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.',
    );
    // Gemini 2.5 issues no signatures and requires none.
    expect((await post(url, generate('gemini-2.5-flash'), { contents: history(undefined), tools }, KEY)).status).toBe(
      200,
    );
  });

  it('candidateCount 2 gives two candidates, streamed with their index', async () => {
    const { url } = await start();
    const ai = sdk(url);
    const whole = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Two ideas',
      config: { candidateCount: 2 },
    });
    expect(whole.candidates!.map((candidate) => candidate.index)).toEqual([0, 1]);
    const texts: Record<number, string> = { 0: '', 1: '' };
    const finished: number[] = [];
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Two ideas',
      config: { candidateCount: 2 },
    })) {
      for (const candidate of chunk.candidates ?? []) {
        texts[candidate.index ?? 0] += (candidate.content?.parts ?? []).map((part) => part.text ?? '').join('');
        if (candidate.finishReason) finished.push(candidate.index ?? 0);
      }
    }
    expect(texts[0]).toBe(textOf(whole as unknown as Answer, 0));
    expect(texts[1]).toBe(textOf(whole as unknown as Answer, 1));
    expect(texts[0]).not.toBe(texts[1]);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('grounding metadata with the googleSearch tool; logprobs when asked', async () => {
    const { url } = await start();
    const ai = sdk(url);
    const grounded = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Who won the match?',
      config: { tools: [{ googleSearch: {} }] },
    });
    const metadata = grounded.candidates![0]!.groundingMetadata!;
    expect(metadata.webSearchQueries).toEqual(['Who won the match?']);
    expect(metadata.groundingChunks!.length).toBeGreaterThan(0);
    expect(metadata.groundingSupports![0]!.segment!.text).toBe(
      grounded.text!.slice(0, metadata.groundingSupports![0]!.segment!.endIndex),
    );
    const plain = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Who won the match?' });
    expect(plain.candidates![0]!.groundingMetadata).toBeUndefined();

    const scored = await ai.models.generateContent({
      model: 'gemini-2.0-flash',
      contents: 'Say something',
      config: { responseLogprobs: true, logprobs: 3 },
    });
    const candidate = scored.candidates![0]!;
    expect(candidate.logprobsResult!.chosenCandidates!.map((item) => item.token).join('')).toBe(scored.text);
    expect(candidate.logprobsResult!.topCandidates![0]!.candidates).toHaveLength(3);
    expect(candidate.avgLogprobs).toBeLessThanOrEqual(0);
  });

  it('a blocked prompt gives promptFeedback.blockReason; other stops give their finishReason', async () => {
    const { url } = await start({
      faults: [
        { promptContains: 'blocked', blockReason: 'PROHIBITED_CONTENT' },
        { promptContains: 'malformed', finishReason: 'MALFORMED_FUNCTION_CALL' },
      ],
    });
    const ai = sdk(url);
    const blocked = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'this is blocked' });
    expect(blocked.promptFeedback!.blockReason).toBe('PROHIBITED_CONTENT');
    expect(blocked.candidates).toBeUndefined();
    const malformed = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'malformed please' });
    expect(malformed.candidates![0]!.finishReason).toBe('MALFORMED_FUNCTION_CALL');
    const raw = await post(url, generate('gemini-2.5-flash'), { contents: [{ parts: [{ text: 'malformed' }] }] }, KEY);
    const candidate = (raw.json as { candidates: Array<{ finishMessage?: string }> }).candidates[0]!;
    expect(candidate.finishMessage).toMatch(/^Malformed function call/);
  });
});

describe('emulator admin: key states at run time, request log', () => {
  it('a key suspended at run time is refused until set active again', async () => {
    const { url } = await start();
    expect((await post(url, generate('gemini-2.5-flash'), hello, KEY)).status).toBe(200);
    const changed = await post(url, '/_emulator/keys/key-0001', { state: 'suspended' });
    expect(changed.json).toEqual({ key: '…0001', state: 'suspended' });
    const refused = await post(url, generate('gemini-2.5-flash'), hello, KEY);
    expect(refused.status).toBe(403);
    expect((refused.json as ErrorBody).error.message).toContain('has been suspended');
    expect((await post(url, '/_emulator/keys/key-0001', { state: 'asleep' })).status).toBe(400);
    await post(url, '/_emulator/keys/key-0001', { state: 'active' });
    expect((await post(url, generate('gemini-2.5-flash'), hello, KEY)).status).toBe(200);
  });

  it('logs what it received, keys redacted to their last 4 characters', async () => {
    const { url } = await start();
    const secret = 'AIzaSy-very-secret-key-9876';
    const sent = { ...hello, generationConfig: { temperature: 0.5 } };
    await post(url, `${generate('gemini-2.5-flash')}?key=${secret}`, sent);
    await post(url, generate('gemini-2.5-flash'), hello, { 'x-goog-api-key': secret });
    const log = await request(`${url}/_emulator/requests`);
    expect(log.text).not.toContain(secret);
    const entries = (log.json as { requests: Array<Record<string, unknown>> }).requests;
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      method: 'POST',
      path: `${generate('gemini-2.5-flash')}?key=REDACTED`,
      model: 'gemini-2.5-flash',
      keyHint: '9876',
      body: sent,
      prompt: 'Hello there',
    });
  });
});

describe('emulator streams: chunking, breaks, continuations', () => {
  const STREAM = '/v1beta/models/gemini-2.0-flash:streamGenerateContent';

  it('characters chunking cuts words in two and rejoins to the whole answer', async () => {
    const { url } = await start({ models: { 'gemini-2.0-flash': { chunking: 'characters' } } });
    const whole = textOf((await post(url, generate('gemini-2.0-flash'), hello, KEY)).json as Answer);
    const streamed = await post(url, `${STREAM}?alt=sse`, hello, KEY);
    const pieces = streamed.text
      .split('\r\n\r\n')
      .filter(Boolean)
      .map((event) => textOf(JSON.parse(event.slice('data: '.length)) as Answer));
    expect(pieces.join('')).toBe(whole);
    expect(pieces.slice(0, -1).some((piece) => /[a-z]$/i.test(piece))).toBe(true);
  });

  it('breaks a stream as configured: error object, reset, premature close, half an element', async () => {
    const outcomes: Record<string, string> = {};
    for (const breakAs of ['error', 'reset', 'close', 'half'] as const) {
      const { url } = await start({
        faults: [{ midStream: true, breakAs, breakAfterChunks: 1, ...(breakAs === 'error' ? { status: 503 } : {}) }],
      });
      try {
        const response = await fetch(`${url}${STREAM}`, {
          method: 'POST',
          headers: { ...KEY, 'content-type': 'application/json' },
          body: JSON.stringify(hello),
        });
        expect(response.status).toBe(200);
        outcomes[breakAs] = await response.text();
      } catch (failure) {
        outcomes[breakAs] = `threw: ${String((failure as Error).message)}`;
      }
      expect(emulator!.stats().midStreamErrors, breakAs).toBe(1);
      await emulator!.close();
      emulator = undefined;
    }
    expect(outcomes.error).toContain('"status": "UNAVAILABLE"');
    expect(outcomes.error!.trimEnd().endsWith(']')).toBe(true);
    expect(outcomes.reset).toMatch(/^threw: /);
    expect(outcomes.close!.startsWith('[{')).toBe(true);
    expect(outcomes.close).not.toContain('finishReason');
    expect(outcomes.close!.trimEnd().endsWith('}')).toBe(true);
    expect(() => JSON.parse(`${outcomes.half}]`)).toThrow();
    expect(outcomes.half!.length).toBeGreaterThan(outcomes.close!.length);
  });

  it('continues a partial answer as each model is configured to', async () => {
    const { url } = await start({
      models: {
        literal: { continuation: 'literal' },
        overlap: { continuation: 'overlap' },
        restart: { continuation: 'restart' },
        preamble: { continuation: 'preamble' },
        drift: { continuation: 'drift' },
        reject: { continuation: 'reject' },
      },
    });
    const results: Record<string, { prefill: string; whole: string; rest: string }> = {};
    for (const model of ['literal', 'overlap', 'restart', 'preamble', 'drift']) {
      const whole = textOf((await post(url, generate(model), hello, KEY)).json as Answer);
      const prefill = whole.slice(0, Math.floor(whole.length / 2) + 1); // mid-word on purpose
      const continued = await post(
        url,
        generate(model),
        { contents: [...hello.contents, { role: 'model', parts: [{ text: prefill }] }] },
        KEY,
      );
      results[model] = { prefill, whole, rest: textOf(continued.json as Answer) };
    }
    const { literal, overlap, restart, preamble, drift } = results as Record<
      string,
      { prefill: string; whole: string; rest: string }
    >;
    expect(literal!.prefill + literal!.rest).toBe(literal!.whole);
    const tail = overlap!.rest.slice(0, overlap!.rest.length - (overlap!.whole.length - overlap!.prefill.length));
    expect(tail.length).toBeGreaterThan(0);
    expect(overlap!.prefill.endsWith(tail)).toBe(true);
    expect(restart!.rest).toBe(restart!.whole);
    expect(preamble!.rest.endsWith(preamble!.whole.slice(preamble!.prefill.length))).toBe(true);
    expect(preamble!.rest.length).toBeGreaterThan(preamble!.whole.length - preamble!.prefill.length);
    expect(drift!.prefill + drift!.rest).not.toBe(drift!.whole);
    const rejected = await post(
      url,
      generate('reject'),
      { contents: [...hello.contents, { role: 'model', parts: [{ text: 'Partial' }] }] },
      KEY,
    );
    expect(rejected.status).toBe(400);
    expect((rejected.json as ErrorBody).error.message).toBe('Requests ending with a model turn are not supported.');
  });
});

describe('emulator latency per model (fake clock, in process)', () => {
  it('a 90 s model answers only after 90 s of its clock', async () => {
    const clock = new FakeClock();
    const handler = createEmulatorHandler({ models: { 'slow-model': { latency: { firstTokenMs: 90_000 } } } }, clock);
    let settled = false;
    const pending = handler
      .fetch(
        new Request(`http://emulator.test${generate('slow-model')}`, {
          method: 'POST',
          headers: { ...KEY, 'content-type': 'application/json' },
          body: JSON.stringify(hello),
        }),
      )
      .then((response) => {
        settled = true;
        return response;
      });
    // Let the handler read the body and start its wait before the clock moves.
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(89_000);
    expect(settled).toBe(false);
    await clock.advance(1_000);
    expect((await pending).status).toBe(200);
  });
});
