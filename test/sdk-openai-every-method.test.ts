// The `openai` SDK through `gemwarden serve`, as OpenAI-style apps call it: the gateway's OpenAI
// route (`/v1`) and Google's OpenAI layer passed through (`/v1beta/openai/`), each beside the same
// call sent straight to Google's OpenAI layer (the emulator's `/v1beta/openai/`). Chat completions
// streamed and not, with tools, images and JSON output; embeddings; models. Resources the gateway
// does not serve (responses, images, audio, files, batches, moderations, legacy completions) must
// fail in OpenAI's error shape, never crash or hang.
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { describeOutcome, outcomeOf, type Outcome } from './helpers/sdk-outcomes.js';
import { useStack } from './helpers/stack.js';

const KEY = 'key-sdk-openai-0001';
const stack = useStack({
  emulator: { keys: [{ key: KEY, project: 'alpha' }], clock: { minuteMs: 600 } },
  gateway: { keys: [{ key: KEY, project: 'alpha' }], maxAttempts: 3 },
});

const client = (baseURL: string, apiKey = 'client-token') => new OpenAI({ apiKey, baseURL, maxRetries: 0 });
const googleLayer = () => client(`${stack.emulator.url}/v1beta/openai/`, KEY);
const gatewayRoute = () => client(`${stack.gateway.url}/v1`);
const gatewayGoogleLayer = () => client(`${stack.gateway.url}/v1beta/openai/`);

type Steps = Record<string, Outcome>;

async function collect<T>(iterable: AsyncIterable<T> | Promise<AsyncIterable<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of await iterable) items.push(item);
  return items;
}

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
// A 1×1 PNG.
const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function chatSteps(openai: OpenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  const question = [{ role: 'user' as const, content: 'Name three rivers.' }];
  await step('chat.completions.create', () => openai.chat.completions.create({ model, messages: question }));
  await step('chat.completions.create stream', async () => {
    const chunks = await collect(
      await openai.chat.completions.create({
        model,
        messages: question,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    return {
      text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
      finish: chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean),
      usage: chunks.some((chunk) => chunk.usage),
    };
  });
  await step('chat.completions.create system + params', () =>
    openai.chat.completions.create({
      model,
      messages: [{ role: 'system', content: 'Be brief.' }, ...question],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 200,
      stop: ['zzz'],
    }),
  );
  await step('chat.completions.create tools', () =>
    openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weather],
      tool_choice: 'required',
    }),
  );
  await step('chat.completions.create tools stream', async () => {
    const chunks = await collect(
      await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [weather],
        tool_choice: 'required',
        stream: true,
      }),
    );
    return chunks.flatMap((chunk) =>
      (chunk.choices[0]?.delta?.tool_calls ?? []).map((call) => [call.function?.name, call.function?.arguments]),
    );
  });
  await step('chat.completions.create image', () =>
    openai.chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: PIXEL } },
          ],
        },
      ],
    }),
  );
  await step('chat.completions.create json_schema', () =>
    openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'A city and its country' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'place',
          schema: {
            type: 'object',
            properties: { city: { type: 'string' }, country: { type: 'string' } },
            required: ['city', 'country'],
          },
        },
      },
    }),
  );
  await step('chat.completions.create reasoning_effort', () =>
    openai.chat.completions.create({ model, messages: question, reasoning_effort: 'low' }),
  );
  await step('chat.completions.create unknown model', () =>
    openai.chat.completions.create({ model: 'gemini-0.0-none', messages: question }),
  );
  await step('chat.completions.create no messages', () => openai.chat.completions.create({ model, messages: [] }));
  await step('embeddings.create', () =>
    openai.embeddings.create({ model: 'gemini-embedding-001', input: ['one', 'two'] }),
  );
  await step('embeddings.create dimensions', () =>
    openai.embeddings.create({ model: 'gemini-embedding-001', input: 'one', dimensions: 256 }),
  );
  await step('models.list', async () => (await collect(openai.models.list())).map((model) => model.id).sort());
  await step('models.retrieve', () => openai.models.retrieve('gemini-2.5-flash'));
  await step('models.retrieve unknown', () => openai.models.retrieve('gemini-0.0-none'));
  return steps;
}

/** OpenAI resources Gemini has no counterpart for (or the gateway does not serve). */
async function unservedSteps(openai: OpenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  await step('responses.create', () => openai.responses.create({ model, input: 'hello' }));
  await step('responses.create stream', () =>
    collect(openai.responses.create({ model, input: 'hello', stream: true })),
  );
  await step('completions.create', () => openai.completions.create({ model, prompt: 'hello' }));
  await step('images.generate', () =>
    openai.images.generate({ model: 'imagen-4.0-generate-001', prompt: 'a lighthouse' }),
  );
  await step('audio.speech.create', () =>
    openai.audio.speech.create({ model: 'gemini-2.5-flash-preview-tts', voice: 'alloy', input: 'hello' }),
  );
  await step('audio.transcriptions.create', async () =>
    openai.audio.transcriptions.create({
      model: 'gemini-2.5-flash',
      file: await toFile(Buffer.from('RIFF....WAVEfmt '), 'a.wav', { type: 'audio/wav' }),
    }),
  );
  await step('moderations.create', () => openai.moderations.create({ input: 'hello' }));
  await step('files.list', () => collect(openai.files.list()));
  await step('batches.list', () => collect(openai.batches.list()));
  return steps;
}

/** What must match between Google's layer direct and through the gateway, beyond shape. */
const SAME_VALUE: Record<string, (value: never) => unknown> = {
  'chat.completions.create': (value: OpenAI.Chat.Completions.ChatCompletion) => [
    value.choices,
    value.usage,
    value.model,
  ],
  'chat.completions.create stream': (value: unknown) => value,
  'chat.completions.create tools stream': (value: unknown) => value,
  'chat.completions.create json_schema': (value: OpenAI.Chat.Completions.ChatCompletion) => value.choices,
  'embeddings.create': (value: OpenAI.Embeddings.CreateEmbeddingResponse) => value.data,
  'embeddings.create dimensions': (value: OpenAI.Embeddings.CreateEmbeddingResponse) => value.data,
  'models.list': (value: unknown) => value,
  'models.retrieve': (value: unknown) => value,
};

function differences(direct: Steps, through: Steps): string[] {
  const found: string[] = [];
  for (const [name, left] of Object.entries(direct)) {
    const right = through[name]!;
    const line = `${name}: direct ${describeOutcome(left)} | gateway ${describeOutcome(right)}`;
    if ('hung' in left || 'hung' in right || left.ok !== right.ok) found.push(line);
    else if (left.ok && right.ok) {
      const project = SAME_VALUE[name];
      if (JSON.stringify(left.shape) !== JSON.stringify(right.shape)) found.push(`${line} (shape)`);
      else if (
        project &&
        JSON.stringify(project(left.value as never)) !== JSON.stringify(project(right.value as never))
      )
        found.push(`${line} (value)`);
    } else if (!left.ok && !right.ok && (left.httpStatus !== right.httpStatus || left.message !== right.message)) {
      found.push(line);
    }
  }
  return found;
}

function value<T>(outcome: Outcome | undefined): T {
  if (!outcome?.ok) throw new Error(`expected an answer, got ${outcome ? describeOutcome(outcome) : 'nothing'}`);
  return outcome.value as T;
}

describe("openai SDK through the gateway: Google's OpenAI layer passed through (/v1beta/openai/)", () => {
  it('answers every call as the layer does direct: chats, tools, images, JSON, embeddings, models, and its refusals', async () => {
    const left = { ...(await chatSteps(googleLayer())), ...(await unservedSteps(googleLayer())) };
    const right = { ...(await chatSteps(gatewayGoogleLayer())), ...(await unservedSteps(gatewayGoogleLayer())) };
    expect(left['chat.completions.create']?.ok && left['embeddings.create']?.ok).toBe(true);
    expect(differences(left, right)).toEqual([]);
  });
});

describe("openai SDK through the gateway's OpenAI route (/v1)", () => {
  it('chat completions streamed and not, with tools, images and JSON output; embeddings; models', async () => {
    const route = await chatSteps(gatewayRoute());
    const layer = await chatSteps(googleLayer());
    type Chat = OpenAI.Chat.Completions.ChatCompletion;
    // Plain text: the same words as Google's own layer gives for the same prompt.
    const plain = value<Chat>(route['chat.completions.create']);
    expect(plain.choices[0]?.message.content).toBe(
      value<Chat>(layer['chat.completions.create']).choices[0]?.message.content,
    );
    expect(plain.choices[0]?.finish_reason).toBe('stop');
    expect(value<{ text: string; finish: string[]; usage: boolean }>(route['chat.completions.create stream'])).toEqual({
      text: plain.choices[0]?.message.content,
      finish: ['stop'],
      usage: true,
    });
    expect(value<Chat>(route['chat.completions.create system + params']).choices[0]?.message.content).toBeTruthy();
    const tools = value<Chat>(route['chat.completions.create tools']).choices[0]!;
    expect(tools.finish_reason).toBe('tool_calls');
    const call = tools.message.tool_calls?.[0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city).toBe('string');
    const streamedCalls = value<Array<[string | undefined, string | undefined]>>(
      route['chat.completions.create tools stream'],
    );
    expect(streamedCalls.map(([name]) => name).filter(Boolean)).toEqual(['get_weather']);
    expect(JSON.parse(streamedCalls.map(([, args]) => args ?? '').join(''))).toHaveProperty('city');
    const image = value<Chat>(route['chat.completions.create image']);
    expect(image.choices[0]?.message.content).toBeTruthy();
    // The image is sent to Gemini, so it is counted in the prompt.
    expect(image.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens);
    const json = JSON.parse(value<Chat>(route['chat.completions.create json_schema']).choices[0]!.message.content!) as {
      city: unknown;
      country: unknown;
    };
    expect([typeof json.city, typeof json.country]).toEqual(['string', 'string']);
    expect(value<Chat>(route['chat.completions.create reasoning_effort']).choices[0]?.message.content).toBeTruthy();
    expect(route['chat.completions.create unknown model']).toMatchObject({ ok: false, httpStatus: 404 });
    expect(route['chat.completions.create no messages']).toMatchObject({
      ok: false,
      httpStatus: 400,
      status: 'invalid_request_error',
    });
    // Vectors do not depend on the path taken: the same as Google's layer gives.
    for (const name of ['embeddings.create', 'embeddings.create dimensions']) {
      expect(value<OpenAI.Embeddings.CreateEmbeddingResponse>(route[name]).data, name).toEqual(
        value<OpenAI.Embeddings.CreateEmbeddingResponse>(layer[name]).data,
      );
    }
    expect(
      value<OpenAI.Embeddings.CreateEmbeddingResponse>(route['embeddings.create dimensions']).data[0]?.embedding,
    ).toHaveLength(256);
    expect(value<string[]>(route['models.list'])).toContain('gemini-2.5-flash');
    expect(value<OpenAI.Models.Model>(route['models.retrieve'])).toMatchObject({
      id: 'gemini-2.5-flash',
      object: 'model',
    });
    expect(route['models.retrieve unknown']).toMatchObject({
      ok: false,
      httpStatus: 404,
      status: 'invalid_request_error',
    });
  });

  it("answers OpenAI resources it does not serve with OpenAI's error shape, never a crash or a hang", async () => {
    const steps = await unservedSteps(gatewayRoute());
    for (const [name, outcome] of Object.entries(steps)) {
      expect(outcome, name).toMatchObject({ ok: false, httpStatus: 404, status: 'invalid_request_error' });
      expect((outcome as { message: string }).message, name).toContain('Invalid URL');
    }
  });
});
