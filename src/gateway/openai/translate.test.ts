// In-process checks of the OpenAI ↔ Gemini translation: no sockets, the pure functions only.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../time/index.js';
import { chatRequestSchema, SKIP_SIGNATURE, toGeminiRequest, answerOptionsFor } from '../openai-translate.js';
import { embeddingInputs, embeddingsRequestSchema, toBatchEmbedRequests, vectorToBase64 } from './embeddings.js';
import { thinkingForEffort } from './google-options.js';
import { isOpenAiPath } from './paths.js';
import { ChatStreamTranslator, toChatCompletion } from './responses.js';
import { SignatureMemory } from './signature-memory.js';
import { TranslationError } from './translation-error.js';

const chat = (body: Record<string, unknown>) =>
  chatRequestSchema.parse({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], ...body });

describe('reasoning_effort and google options', () => {
  it("maps effort as Google's table: levels for Gemini 3, budgets before", () => {
    expect(thinkingForEffort('gemini-2.5-flash', 'low')).toEqual({ thinkingBudget: 1024 });
    expect(thinkingForEffort('gemini-2.5-flash', 'medium')).toEqual({ thinkingBudget: 8192 });
    expect(thinkingForEffort('gemini-2.5-pro', 'high')).toEqual({ thinkingBudget: 24576 });
    expect(thinkingForEffort('gemini-2.5-flash', 'none')).toEqual({ thinkingBudget: 0 });
    expect(thinkingForEffort('gemini-3-flash-preview', 'none')).toEqual({ thinkingLevel: 'minimal' });
    expect(thinkingForEffort('gemini-3-flash-preview', 'medium')).toEqual({ thinkingLevel: 'medium' });
    expect(thinkingForEffort('gemini-3-pro-preview', 'medium')).toEqual({ thinkingLevel: 'high' });
    expect(thinkingForEffort('gemini-3-pro-preview', 'minimal')).toEqual({ thinkingLevel: 'low' });
    expect(thinkingForEffort('gemini-3.1-pro-preview', 'medium')).toEqual({ thinkingLevel: 'medium' });
  });

  it('reads google from the top level and from extra_body, in either spelling', () => {
    const top = toGeminiRequest(
      chat({ google: { cached_content: 'cachedContents/abc', thinking_config: { thinking_budget: 99 } } }),
    );
    expect(top.cachedContent).toBe('cachedContents/abc');
    expect(top.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 99 });
    const extra = toGeminiRequest(
      chat({
        extra_body: {
          google: {
            thinkingConfig: { includeThoughts: true, thinkingLevel: 'low' },
            safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
          },
        },
      }),
    );
    expect(extra.generationConfig?.thinkingConfig).toEqual({ includeThoughts: true, thinkingLevel: 'low' });
    expect(extra.safetySettings).toEqual([{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }]);
  });

  it('refuses what it would otherwise drop, naming the field', () => {
    expect(() => toGeminiRequest(chat({ google: { cache: 'x' } }))).toThrow(/google: unknown member "cache"/);
    expect(() =>
      toGeminiRequest(chat({ reasoning_effort: 'low', google: { thinking_config: { thinking_budget: 5 } } })),
    ).toThrow(TranslationError);
    expect(() => toGeminiRequest(chat({ top_logprobs: 3 }))).toThrow(/top_logprobs requires logprobs/);
  });

  it('keeps include_thoughts beside reasoning_effort and asks for logprobs and the tier', () => {
    const request = toGeminiRequest(
      chat({
        reasoning_effort: 'high',
        google: { thinking_config: { include_thoughts: true } },
        logprobs: true,
        top_logprobs: 2,
        service_tier: 'flex',
        seed: 7,
      }),
    );
    expect(request.generationConfig).toMatchObject({
      thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
      responseLogprobs: true,
      logprobs: 2,
      seed: 7,
    });
    expect(request.serviceTier).toBe('flex');
  });
});

describe('content parts', () => {
  const user = (content: unknown[]) => chat({ messages: [{ role: 'user', content }] });

  it('audio, PDF and images reach Gemini with their real MIME types', () => {
    const request = toGeminiRequest(
      user([
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
        { type: 'file', file: { file_data: 'JVBERi0=', filename: 'report.PDF' } },
        { type: 'file', file: { file_id: 'files/abc123' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.JPG?size=2' } },
        { type: 'image_url', image_url: { url: 'https://example.com/image' } },
        { type: 'image_url', image_url: 'data:image/webp;base64,UklGRg==' },
      ]),
    );
    expect(request.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { fileData: { fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc123' } },
      { fileData: { fileUri: 'https://example.com/cat.JPG?size=2', mimeType: 'image/jpeg' } },
      { fileData: { fileUri: 'https://example.com/image' } },
      { inlineData: { mimeType: 'image/webp', data: 'UklGRg==' } },
    ]);
  });

  it('a part it cannot read is a clear error naming where it is', () => {
    expect(() => toGeminiRequest(user([{ type: 'input_audio', input_audio: { data: 'x', format: 'midi' } }]))).toThrow(
      /messages\[0\]\.content\[0\]\.input_audio\.format/,
    );
    expect(() => toGeminiRequest(user([{ type: 'file', file: {} }]))).toThrow(/file_data or file_id/);
    expect(() => toGeminiRequest(user([{ type: 'file', file: { file_data: 'AAAA' } }]))).toThrow(/data URL/);
    expect(() => toGeminiRequest(user([{ type: 'video_url' }]))).toThrow(/not supported/);
  });
});

describe('thought signatures', () => {
  const calling = {
    candidates: [
      {
        index: 0,
        finishReason: 'STOP',
        content: {
          role: 'model',
          parts: [
            { functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'sig-A' },
            { functionCall: { name: 'weather', args: { city: 'Rome' } } },
          ],
        },
      },
    ],
  };

  it('come back on the tool call, are remembered, and are restored when the client drops them', () => {
    const memory = new SignatureMemory();
    const completion = toChatCompletion(calling, 'gemini-3-pro-preview', 'chatcmpl-1', 1, { signatures: memory });
    const calls = completion.choices[0]!.message.tool_calls!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls[0]!.extra_content).toEqual({ google: { thought_signature: 'sig-A' } });
    expect(calls[1]!.extra_content).toBeUndefined();
    const stripped = calls.map(({ extra_content: _dropped, ...call }) => call);
    const next = toGeminiRequest(
      chatRequestSchema.parse({
        model: 'gemini-3-pro-preview',
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: stripped },
          { role: 'tool', tool_call_id: calls[0]!.id, content: '{"c":3}' },
          { role: 'tool', tool_call_id: calls[1]!.id, content: 'warm' },
        ],
      }),
      { signatures: memory },
    );
    expect(next.contents[1]!.parts[0]!.thoughtSignature).toBe('sig-A');
    expect(next.contents[1]!.parts[1]!.thoughtSignature).toBeUndefined();
    expect(next.contents[2]!.parts.map((part) => part.functionResponse?.response)).toEqual([
      { c: 3 },
      { result: 'warm' },
    ]);
  });

  it("an echoed signature wins; a lost one on Gemini 3 gets Google's skip value", () => {
    const history = (extra?: unknown) =>
      chatRequestSchema.parse({
        model: 'gemini-3-flash-preview',
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' }, extra_content: extra },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '1' },
        ],
      });
    expect(toGeminiRequest(history({ google: { thought_signature: 'echo' } })).contents[1]!.parts[0]).toMatchObject({
      thoughtSignature: 'echo',
    });
    expect(toGeminiRequest(history()).contents[1]!.parts[0]!.thoughtSignature).toBe(SKIP_SIGNATURE);
  });

  it('memory is bounded and expires', async () => {
    const clock = new FakeClock(0);
    const memory = new SignatureMemory({ maxEntries: 2, ttlMs: 1000, clock });
    memory.remember('a', '1');
    memory.remember('b', '2');
    memory.remember('c', '3');
    expect(memory.recall('a')).toBeUndefined();
    expect(memory.recall('b')).toBe('2');
    await clock.advance(1000);
    expect(memory.recall('c')).toBeUndefined();
    expect(memory.size).toBe(1);
  });
});

describe('answers', () => {
  it('thoughts only when asked, as reasoning_content or tagged into content', () => {
    const response = {
      candidates: [
        {
          finishReason: 'STOP',
          content: { parts: [{ text: 'Let me think.', thought: true }, { text: 'Four.' }] },
        },
      ],
      usageMetadata: {
        promptTokenCount: 10,
        candidatesTokenCount: 2,
        thoughtsTokenCount: 5,
        cachedContentTokenCount: 4,
        totalTokenCount: 17,
      },
    };
    const plain = toChatCompletion(response, 'm', 'id', 1);
    expect(plain.choices[0]!.message).toEqual({ role: 'assistant', content: 'Four.', refusal: null });
    expect(plain.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 7,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    const asked = chatRequestSchema.parse({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      google: { thinking_config: { include_thoughts: true } },
    });
    expect(toChatCompletion(response, 'm', 'id', 1, { answer: answerOptionsFor(asked) }).choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Four.',
      refusal: null,
      reasoning_content: 'Let me think.',
    });
    const tagged = { ...answerOptionsFor(asked), thoughtTagMarker: 'think' };
    expect(toChatCompletion(response, 'm', 'id', 1, { answer: tagged }).choices[0]!.message.content).toBe(
      '<think>Let me think.</think>Four.',
    );
  });

  it('a blocked prompt is content_filter, a thinking-truncated answer is length', () => {
    const blocked = toChatCompletion({ promptFeedback: { blockReason: 'SAFETY' } }, 'm', 'id', 1);
    expect(blocked.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null },
        logprobs: null,
        finish_reason: 'content_filter',
      },
    ]);
    const cut = toChatCompletion(
      { candidates: [{ finishReason: 'MAX_TOKENS', content: { parts: [] } }] },
      'm',
      'id',
      1,
    );
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.choices[0]!.message.content).toBe('');
  });

  it('logprobs become OpenAI token logprobs with their top alternatives', () => {
    const response = {
      candidates: [
        {
          finishReason: 'STOP',
          content: { parts: [{ text: 'Hi' }] },
          logprobsResult: {
            chosenCandidates: [{ token: 'Hi', logProbability: -0.1 }],
            topCandidates: [
              {
                candidates: [
                  { token: 'Hi', logProbability: -0.1 },
                  { token: 'Hey', logProbability: -2.5 },
                ],
              },
            ],
          },
        },
      ],
    };
    const completion = toChatCompletion(response, 'm', 'id', 1, {
      answer: { includeThoughts: false, logprobs: true },
    });
    expect(completion.choices[0]!.logprobs).toEqual({
      content: [
        {
          token: 'Hi',
          logprob: -0.1,
          bytes: [72, 105],
          top_logprobs: [
            { token: 'Hi', logprob: -0.1, bytes: [72, 105] },
            { token: 'Hey', logprob: -2.5, bytes: [72, 101, 121] },
          ],
        },
      ],
      refusal: null,
    });
  });

  it('a stream numbers tool calls across chunks and closes an open thought tag', () => {
    const translator = new ChatStreamTranslator('id', 1, {
      answer: { includeThoughts: true, thoughtTagMarker: 'think', logprobs: false },
    });
    const first = translator.chunk({ candidates: [{ content: { parts: [{ text: 'hmm', thought: true }] } }] }, 'm');
    const second = translator.chunk(
      { candidates: [{ content: { parts: [{ text: 'A' }, { functionCall: { name: 'f', args: {} } }] } }] },
      'm',
    );
    const third = translator.chunk(
      { candidates: [{ finishReason: 'STOP', content: { parts: [{ functionCall: { name: 'g' } }] } }] },
      'm',
    );
    expect(first!.choices[0]!.delta).toEqual({ role: 'assistant', content: '<think>hmm' });
    expect(second!.choices[0]!.delta.content).toBe('</think>A');
    expect(second!.choices[0]!.delta.tool_calls![0]!.index).toBe(0);
    expect(third!.choices[0]!.delta.tool_calls![0]!.index).toBe(1);
    expect(third!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(translator.chunk({ usageMetadata: { promptTokenCount: 1 } }, 'm')).toBeUndefined();
    expect(translator.usageChunk('m')!.usage!.prompt_tokens).toBe(1);
  });
});

describe('embeddings and paths', () => {
  it('splits inputs into batches of 100 and refuses token arrays', () => {
    const request = embeddingsRequestSchema.parse({
      model: 'gemini-embedding-001',
      input: Array.from({ length: 150 }, (_, i) => `t${i}`),
      dimensions: 8,
    });
    const batches = toBatchEmbedRequests('gemini-embedding-001', embeddingInputs(request), request.dimensions);
    expect(batches.map((batch) => batch.requests.length)).toEqual([100, 50]);
    expect(batches[1]!.requests[0]).toEqual({
      model: 'models/gemini-embedding-001',
      content: { parts: [{ text: 't100' }] },
      outputDimensionality: 8,
    });
    expect(() => embeddingInputs(embeddingsRequestSchema.parse({ model: 'm', input: [[1, 2]] }))).toThrow(/token id/);
    expect(() => embeddingInputs(embeddingsRequestSchema.parse({ model: 'm', input: [] }))).toThrow(/empty/);
  });

  it('base64 is little-endian float32', () => {
    const bytes = Buffer.from(vectorToBase64([1, -0.5]), 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1, -0.5]);
  });

  it("OpenAI's resources are OpenAI's paths; the rest of /v1 is Gemini's", () => {
    expect(isOpenAiPath('/v1/chat/completions')).toBe(true);
    expect(isOpenAiPath('/v1/embeddings?x=1')).toBe(true);
    expect(isOpenAiPath('/v1/responses')).toBe(true);
    expect(isOpenAiPath('/v1/models/gemini-2.5-pro')).toBe(true);
    expect(isOpenAiPath('/v1/tunedModels/x')).toBe(false);
    expect(isOpenAiPath('/v1beta/models/x:generateContent')).toBe(false);
  });
});
