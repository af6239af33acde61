// Gaps of the emulator that real SDK calls meet (outside review): the official openai SDK calling
// Google's OpenAI-compatible layer with tools, tool results, images and a Gemini 3 model's thought
// signatures; @google/genai finding the embedding models in models.list and models.get. Over real
// sockets against the emulator; https://ai.google.dev/gemini-api/docs/openai is the reference.
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';

let emulator: EmulatorHandle;
let openai: OpenAI;
let genai: GoogleGenAI;

// A 1×1 PNG, as a client sends an image inline.
const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const WEATHER: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

beforeAll(async () => {
  emulator = await startEmulator({});
  openai = new OpenAI({ apiKey: 'outside-emulator-0001', baseURL: `${emulator.url}/v1beta/openai/`, maxRetries: 0 });
  genai = new GoogleGenAI({ apiKey: 'outside-emulator-0001', httpOptions: { baseUrl: emulator.url } });
});
afterAll(async () => {
  await emulator.close();
});

describe('emulator: the OpenAI-compatible layer with tools and images (openai SDK)', () => {
  it('answers tool_choice "required" with a tool call, and a tool result with text', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages,
      tools: [WEATHER],
      tool_choice: 'required',
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('get_weather');
    expect(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city).toBe('string');

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' });
    const second = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages, tools: [WEATHER] });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.tool_calls).toBeUndefined();
    expect(second.choices[0]!.message.content).toMatch(/\w/);
  });

  it('tool_choice "none" and a named function are honoured', async () => {
    const none = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Use get_weather for Paris' }],
      tools: [WEATHER],
      tool_choice: 'none',
    });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    const named = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Anything' }],
      tools: [{ ...WEATHER, function: { ...WEATHER.function, name: 'other' } }, WEATHER],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = named.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
  });

  it('streams a tool call as one delta the SDK assembles, then finish_reason tool_calls', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'What is the weather in Oslo?' }],
      tools: [WEATHER],
      tool_choice: 'required',
      stream: true,
    });
    const names: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        if (call.function?.name) names.push(call.function.name);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(names).toEqual(['get_weather']);
    expect(finish).toBe('tool_calls');
  });

  it('a Gemini 3 model signs its tool calls; sending the signature back works, dropping it is refused as Google does', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Rome?' },
    ];
    const first = await openai.chat.completions.create({
      model: 'gemini-3-flash-preview',
      messages,
      tools: [WEATHER],
      tool_choice: 'required',
    });
    const message = first.choices[0]!.message;
    const call = message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall & {
      extra_content?: { google?: { thought_signature?: string } };
    };
    expect(call.extra_content?.google?.thought_signature).toMatch(/\S/);
    const answer = { role: 'tool' as const, tool_call_id: call.id, content: 'sunny' };
    const ok = await openai.chat.completions.create({
      model: 'gemini-3-flash-preview',
      messages: [...messages, message, answer],
      tools: [WEATHER],
    });
    expect(ok.choices[0]!.message.content).toMatch(/\w/);

    // The same assistant turn with the signature dropped, as a client that rebuilds history does.
    const unsigned: OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam = {
      role: 'assistant',
      content: message.content,
      tool_calls: [{ id: call.id, type: 'function', function: call.function }],
    };
    const refused = await openai.chat.completions
      .create({ model: 'gemini-3-flash-preview', messages: [...messages, unsigned, answer], tools: [WEATHER] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    // Google's layer answers errors as a one-element list, which the JS SDK cannot read: it says
    // "400 status code (no body)", as users report (https://github.com/Narcooo/inkos/issues/25).
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    const raw = await fetch(`${emulator.url}/v1beta/openai/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer outside-emulator-0001', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-3-flash-preview',
        messages: [...messages, unsigned, answer],
        tools: [WEATHER],
      }),
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as Array<{ error: { message: string; status: string } }>;
    expect(body[0]!.error.status).toBe('INVALID_ARGUMENT');
    expect(body[0]!.error.message).toMatch(/missing a thought_signature/);
  });

  it('takes an image as a data URL (and audio) in a user message', async () => {
    const answer = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: PIXEL } },
          ],
        },
      ],
    });
    expect(answer.choices[0]!.message.content).toMatch(/\w/);
    // The image is counted as input: more prompt tokens than the same words alone.
    const words = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'What is in this picture?' }],
    });
    expect(answer.usage!.prompt_tokens).toBeGreaterThan(words.usage!.prompt_tokens);
  });
});

describe('emulator: embedding models are listed and can be looked up (@google/genai)', () => {
  it('models.list has gemini-embedding-001 with embedContent, models.get finds it', async () => {
    const listed: Array<{ name?: string; supportedActions?: string[] }> = [];
    for await (const model of await genai.models.list()) listed.push(model);
    const embedding = listed.find((model) => model.name === 'models/gemini-embedding-001');
    expect(embedding?.supportedActions).toContain('embedContent');
    expect(listed.find((model) => model.name === 'models/gemini-2.5-flash')?.supportedActions).toContain(
      'generateContent',
    );
    const got = await genai.models.get({ model: 'gemini-embedding-001' });
    expect(got.inputTokenLimit).toBe(2048);
    const vectors = await genai.models.embedContent({ model: got.name!, contents: 'hello' });
    expect(vectors.embeddings?.[0]?.values?.length).toBe(3072);
  });
});
