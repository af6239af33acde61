// The OpenAI route against gemwarden's emulator (which signs Gemini 3 function calls, refuses a
// turn that drops the signature with the API's 400, and records what it received at
// GET /_emulator/requests), driven by the real `openai` SDK over sockets.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import { startStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyOpenAiEmulatorTestKeyOpenAiEmu0042`;

async function setup(
  emulatorConfig: EmulatorConfig = {},
  config: GatewayConfig = {},
): Promise<{ openai: OpenAI; emu: EmulatorHandle; gw: GatewayHandle }> {
  const stack = await startStack({ emulator: emulatorConfig, gateway: { keys: [UPSTREAM_KEY], ...config } });
  return { openai: stack.openai({ apiKey: 'anything' }), emu: stack.emulator, gw: stack.gateway };
}

interface Recorded {
  path: string;
  body?: { contents?: Array<{ role?: string; parts: Array<{ thoughtSignature?: string; functionCall?: unknown }> }> };
}
async function received(emu: EmulatorHandle): Promise<Recorded[]> {
  return ((await (await fetch(`${emu.url}/_emulator/requests`)).json()) as { requests: Recorded[] }).requests;
}

const tool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
type SignedCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall & {
  extra_content?: { google?: { thought_signature?: string } };
};

describe('OpenAI route against the emulator', () => {
  for (const stream of [false, true]) {
    it(`Gemini 3 tool use over two turns, ${stream ? 'streamed' : 'not streamed'}, client not echoing the signature`, async () => {
      const { openai, emu } = await setup();
      const question = { role: 'user' as const, content: 'Call get_weather for Oslo, please.' };
      let call: SignedCall;
      if (stream) {
        const calls: SignedCall[] = [];
        const chunks = await openai.chat.completions.create({
          model: 'gemini-3-pro-preview',
          messages: [question],
          tools: [tool],
          stream: true,
        });
        for await (const chunk of chunks) calls.push(...((chunk.choices[0]?.delta.tool_calls ?? []) as SignedCall[]));
        call = calls[0]!;
      } else {
        const first = await openai.chat.completions.create({
          model: 'gemini-3-pro-preview',
          messages: [question],
          tools: [tool],
        });
        call = first.choices[0]!.message.tool_calls![0] as SignedCall;
      }
      const signature = call.extra_content?.google?.thought_signature;
      expect(signature).toBeTruthy();
      // What most OpenAI clients send back: the call without Google's extension.
      const second = await openai.chat.completions.create({
        model: 'gemini-3-pro-preview',
        messages: [
          question,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: call.id, type: 'function', function: call.function }],
          },
          { role: 'tool', tool_call_id: call.id, content: '{"celsius": 3}' },
        ],
        tools: [tool],
      });
      expect(second.choices[0]!.finish_reason).toBe('stop');
      expect(second.choices[0]!.message.content?.length).toBeGreaterThan(0);
      const last = (await received(emu)).filter((entry) => entry.path.includes('gemini-3-pro-preview')).at(-1)!;
      const modelTurn = last.body!.contents!.find((content) => content.role === 'model')!;
      expect(modelTurn.parts[0]!.thoughtSignature).toBe(signature);
    });
  }

  it('reasoning_effort and extra_body.google.thinking_config arrive upstream as Gemini fields', async () => {
    const { openai, emu } = await setup();
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      reasoning_effort: 'high',
    });
    await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello again' }],
      extra_body: { google: { thinking_config: { thinking_budget: 300, include_thoughts: true } } },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    const bodies = (await received(emu))
      .filter((entry) => entry.path.includes(':generateContent'))
      .map((entry) => (entry.body as { generationConfig?: { thinkingConfig?: unknown } }).generationConfig);
    expect(bodies.map((config) => config?.thinkingConfig)).toEqual([
      { thinkingBudget: 24576 },
      { thinkingBudget: 300, includeThoughts: true },
    ]);
  });

  it('embeddings.create returns the vectors of a direct batchEmbedContents', async () => {
    const { openai, emu } = await setup();
    const texts = ['first text', 'second text'];
    const direct = await fetch(`${emu.url}/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': UPSTREAM_KEY },
      body: JSON.stringify({
        requests: texts.map((text) => ({ model: 'models/gemini-embedding-001', content: { parts: [{ text }] } })),
      }),
    });
    expect(direct.status).toBe(200);
    const vectors = ((await direct.json()) as { embeddings: Array<{ values: number[] }> }).embeddings;
    const floats = await openai.embeddings.create({
      model: 'gemini-embedding-001',
      input: texts,
      encoding_format: 'float',
    });
    expect(floats.data.map((item) => item.embedding)).toEqual(vectors.map((vector) => vector.values));
    const base64 = await openai.embeddings.create({ model: 'gemini-embedding-001', input: texts });
    expect(base64.data.map((item) => item.embedding)).toEqual(vectors.map((vector) => vector.values.map(Math.fround)));
  });

  it('a chat stream failing after its first chunk ends with an error event and counts in gemwarden_failures_total', async () => {
    const { openai, gw } = await setup({ faults: [{ status: 503, midStream: true }] }, { maxAttempts: 1 });
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gemwarden_failures_total\{kind="unavailable"\} 1\n/);
  });
});
