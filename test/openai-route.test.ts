// The OpenAI-compatible route driven by the real `openai` SDK over sockets (issue #16): Gemini 3
// tool use with thought signatures, Gemini-only options arriving upstream as Gemini fields,
// thoughts, logprobs, media parts, usage details, blocked and cut answers, embeddings and models.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { GatewayHandle } from '../src/gateway/index.js';
import { signatureFor, startFakeUpstream, vectorFor, type FakeUpstream } from './helpers/openai-upstream.js';
import { startStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyOpenAiRouteTestKeyOpenAiRoute0042`;

async function setup(): Promise<{ up: FakeUpstream; openai: OpenAI; gw: GatewayHandle }> {
  const up = await startFakeUpstream();
  const stack = await startStack({ upstream: up, gateway: { keys: [UPSTREAM_KEY] } });
  return { up, openai: stack.openai({ apiKey: 'anything' }), gw: stack.gateway };
}

type GeminiBody = {
  contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  generationConfig?: Record<string, unknown>;
  cachedContent?: string;
  safetySettings?: unknown;
  serviceTier?: string;
};
const lastBody = (up: FakeUpstream, method = 'generateContent') => up.calls(method).at(-1)!.body as GeminiBody;

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

type SignedCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall & {
  extra_content?: { google?: { thought_signature?: string } };
};

describe('Gemini 3 tool use through the OpenAI route', () => {
  for (const echo of [true, false]) {
    it(`two turns work, not streamed, ${echo ? 'with' : 'without'} the client echoing the signature`, async () => {
      const { up, openai } = await setup();
      const question = { role: 'user' as const, content: 'Weather in Oslo?' };
      const first = await openai.chat.completions.create({
        model: 'gemini-3-pro-preview',
        messages: [question],
        tools: [weatherTool],
      });
      const call = first.choices[0]!.message.tool_calls![0] as SignedCall;
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(call.extra_content?.google?.thought_signature).toBe(signatureFor('get_weather'));
      const echoed = echo ? call : { id: call.id, type: call.type, function: call.function };
      const second = await openai.chat.completions.create({
        model: 'gemini-3-pro-preview',
        messages: [
          question,
          { role: 'assistant', content: null, tool_calls: [echoed] },
          { role: 'tool', tool_call_id: call.id, content: '{"celsius":3}' },
        ],
        tools: [weatherTool],
      });
      expect(second.choices[0]!.message.content).toBe('It is 3 degrees in Oslo.');
      const sent = lastBody(up).contents[1]!.parts[0]!;
      expect(sent).toMatchObject({
        functionCall: { name: 'get_weather', args: { city: 'Oslo' } },
        thoughtSignature: signatureFor('get_weather'),
      });
    });

    it(`two turns work, streamed, ${echo ? 'with' : 'without'} the client echoing the signature`, async () => {
      const { up, openai } = await setup();
      const question = { role: 'user' as const, content: 'Weather in Oslo?' };
      const stream = await openai.chat.completions.create({
        model: 'gemini-3-pro-preview',
        messages: [question],
        tools: [weatherTool],
        stream: true,
      });
      const calls: SignedCall[] = [];
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) calls.push(delta as SignedCall);
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('tool_calls');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.extra_content?.google?.thought_signature).toBe(signatureFor('get_weather'));
      const call = calls[0]!;
      const echoed = {
        id: call.id,
        type: 'function' as const,
        function: { name: call.function.name, arguments: call.function.arguments },
        ...(echo ? { extra_content: call.extra_content } : {}),
      };
      const second = await openai.chat.completions.create({
        model: 'gemini-3-pro-preview',
        messages: [
          question,
          { role: 'assistant', content: null, tool_calls: [echoed] },
          { role: 'tool', tool_call_id: call.id, content: 'three degrees' },
        ],
        tools: [weatherTool],
        stream: true,
      });
      let text = '';
      for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('It is 3 degrees in Oslo.');
      expect(lastBody(up, 'streamGenerateContent').contents[1]!.parts[0]!.thoughtSignature).toBe(
        signatureFor('get_weather'),
      );
    });
  }

  it("the upstream's own 400 for a wrong signature reaches the client as an OpenAI error", async () => {
    const { openai } = await setup();
    const failure = await openai.chat.completions
      .create({
        model: 'gemini-3-pro-preview',
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_from_elsewhere',
                type: 'function',
                function: { name: 'get_weather', arguments: '{}' },
                extra_content: { google: { thought_signature: 'bm90LXRoZS1yaWdodC1vbmU=' } },
              } as SignedCall,
            ],
          },
          { role: 'tool', tool_call_id: 'call_from_elsewhere', content: '1' },
        ],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/thought_signature/);
  });
});

describe('Gemini options and answers through the OpenAI route', () => {
  it('reasoning_effort arrives as the thinking level on Gemini 3 and as a budget on 2.5', async () => {
    const { up, openai } = await setup();
    await openai.chat.completions.create({
      model: 'gemini-3-pro-preview',
      messages: [{ role: 'user', content: 'Hi' }],
      reasoning_effort: 'low',
    });
    expect(lastBody(up).generationConfig?.thinkingConfig).toEqual({ thinkingLevel: 'low' });
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
      reasoning_effort: 'medium',
    });
    expect(lastBody(up).generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 8192 });
  });

  it('extra_body.google thinking_config, cached_content and safety settings arrive as Gemini fields', async () => {
    const { up, openai } = await setup();
    const safety = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }];
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
      // Google's documented form for JavaScript clients: the object goes into the body as is.
      extra_body: {
        google: {
          thinking_config: { thinking_budget: 512 },
          cached_content: 'cachedContents/abc123',
          safety_settings: safety,
        },
      },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    const body = lastBody(up);
    expect(body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 512 });
    expect(body.cachedContent).toBe('cachedContents/abc123');
    expect(body.safetySettings).toEqual(safety);
  });

  it('an unknown google member is a 400 before anything is sent upstream', async () => {
    const { up, openai } = await setup();
    const failure = await openai.chat.completions
      .create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
        google: { cached_contents: 'x' },
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/unknown member "cached_contents"/);
    expect(up.calls('generateContent')).toHaveLength(0);
  });

  it('thoughts come back when asked, as reasoning_content, streamed and not; usage has the details', async () => {
    const { openai } = await setup();
    const asked = {
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user' as const, content: 'Hi' }],
      extra_body: { google: { thinking_config: { include_thoughts: true } } },
    };
    const completion = await openai.chat.completions.create(
      asked as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
    );
    const message = completion.choices[0]!.message as (typeof completion.choices)[0]['message'] & {
      reasoning_content?: string;
    };
    expect(message.reasoning_content).toBe('Thinking about the question.');
    expect(message.content).toBe('Hello from the upstream.');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 12,
      total_tokens: 24,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    const stream = await openai.chat.completions.create({
      ...asked,
      stream: true,
      stream_options: { include_usage: true },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
    let reasoning = '';
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(reasoning).toBe('Thinking about the question.');
    expect(content).toBe('Hello from the upstream.');
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(7);
    // Not asked: no thoughts.
    const plain = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: asked.messages });
    expect((plain.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBeUndefined();
  });

  it('logprobs, top_logprobs, seed and service_tier arrive upstream and logprobs come back', async () => {
    const { up, openai } = await setup();
    const completion = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
      logprobs: true,
      top_logprobs: 2,
      seed: 42,
      service_tier: 'flex',
      user: 'user-1',
      metadata: { app: 'tests' },
      parallel_tool_calls: false,
    });
    const body = lastBody(up);
    expect(body.generationConfig).toMatchObject({ responseLogprobs: true, logprobs: 2, seed: 42 });
    expect(body.serviceTier).toBe('flex');
    const logprobs = completion.choices[0]!.logprobs!.content!;
    expect(logprobs.map((entry) => [entry.token, entry.logprob])).toEqual([
      ['Hello', -0.25],
      [' world', -1.5],
    ]);
    expect(logprobs[0]!.top_logprobs.map((entry) => entry.token)).toEqual(['t0', 't1']);
  });

  it('an audio part and a PDF part reach upstream as inlineData with their MIME types; images get theirs', async () => {
    const { up, openai } = await setup();
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe these.' },
            { type: 'input_audio', input_audio: { data: 'UklGRiQAAABXQVZF', format: 'mp3' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0xLjQK', filename: 'a.pdf' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.png' } },
          ],
        },
      ],
    });
    expect(lastBody(up).contents[0]!.parts).toEqual([
      { text: 'Describe these.' },
      { inlineData: { mimeType: 'audio/mp3', data: 'UklGRiQAAABXQVZF' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0xLjQK' } },
      { fileData: { fileUri: 'https://example.com/photos/cat.png', mimeType: 'image/png' } },
    ]);
  });

  it('a blocked prompt is finish_reason content_filter and a thinking-cut answer length, status 200', async () => {
    const { up, openai } = await setup();
    up.answerNextWith({
      promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
    });
    const { data: blocked, response } = await openai.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Something blocked' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(blocked.choices[0]!.finish_reason).toBe('content_filter');
    expect(blocked.usage?.prompt_tokens).toBe(9);
    up.answerNextWith({
      candidates: [{ index: 0, finishReason: 'MAX_TOKENS', content: { role: 'model', parts: [] } }],
      usageMetadata: { promptTokenCount: 5, thoughtsTokenCount: 16, totalTokenCount: 21 },
    });
    const cut = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Think a lot' }],
      max_completion_tokens: 16,
    });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens_details?.reasoning_tokens).toBe(16);
    up.answerNextWith({
      candidates: [{ index: 0, finishReason: 'SAFETY', content: { role: 'model', parts: [] } }],
    });
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Something unsafe' }],
      stream: true,
    });
    const finishes: Array<string | null> = [];
    for await (const chunk of stream) finishes.push(chunk.choices[0]?.finish_reason ?? null);
    expect(finishes.at(-1)).toBe('content_filter');
  });
});

describe('embeddings, models and paths through the OpenAI route', () => {
  it('embeddings.create returns the vectors of a direct batchEmbedContents, float and base64, in order', async () => {
    const { up, openai } = await setup();
    const texts = Array.from({ length: 130 }, (_, index) => `text number ${index}`);
    const direct = (await (
      await fetch(`${up.url}/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': UPSTREAM_KEY },
        body: JSON.stringify({
          requests: texts.map((text) => ({
            model: 'models/gemini-embedding-001',
            content: { parts: [{ text }] },
            outputDimensionality: 16,
          })),
        }),
      })
    ).json()) as { embeddings: Array<{ values: number[] }> };
    up.received.length = 0;
    const floats = await openai.embeddings.create({
      model: 'gemini-embedding-001',
      input: texts,
      dimensions: 16,
      encoding_format: 'float',
    });
    expect(floats.data.map((item) => item.embedding)).toEqual(direct.embeddings.map((item) => item.values));
    expect(floats.data.map((item) => item.index)).toEqual(texts.map((_, index) => index));
    expect(up.calls('batchEmbedContents').map((call) => (call.body.requests as unknown[]).length)).toEqual([100, 30]);
    // The SDK asks for base64 by default and decodes the float32 values itself.
    const decoded = await openai.embeddings.create({ model: 'gemini-embedding-001', input: texts, dimensions: 16 });
    expect(decoded.data.map((item) => item.embedding)).toEqual(
      direct.embeddings.map((item) => item.values.map(Math.fround)),
    );
    const single = await openai.embeddings.create({ model: 'gemini-embedding-001', input: 'one text' });
    expect(single.data[0]!.embedding).toEqual(vectorFor('one text').map(Math.fround));
    expect(single.model).toBe('gemini-embedding-001');
  });

  it('models.retrieve returns the model in OpenAI shape; a missing one is a 404 in OpenAI shape', async () => {
    const { openai } = await setup();
    const model = await openai.models.retrieve('gemini-2.5-pro');
    expect(model).toMatchObject({ id: 'gemini-2.5-pro', object: 'model', owned_by: 'google' });
    const missing = await openai.models.retrieve('gemini-0-nothing').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });

  it("an OpenAI path gemwarden does not serve answers in OpenAI's error shape", async () => {
    const { up, openai, gw } = await setup();
    const failure = await openai.images.generate({ model: 'imagen', prompt: 'a cat' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/Invalid URL \(POST \/v1\/images/);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toContain('/v1beta/openai/');
    const raw = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(up.received).toHaveLength(0);
  });
});
