// Google's OpenAI-compatible layer under /{version}/openai/: chat/completions (JSON and SSE stream;
// tools and tool_choice, tool calls and tool results, images and audio as data URLs), embeddings
// (float or base64) and models. Chat turns are sent to the emulator's own generate route,
// so answers, faults and quotas equal a native call. Errors come back the way Google's layer writes
// them: the Gemini envelope inside a one-element JSON array, with the HTTP status of the error.
// Source: https://ai.google.dev/gemini-api/docs/openai
import { bodies } from '../bodies.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import { EMBEDDING_MODELS, embedOne, gateEmbedding } from './embeddings.js';
import { isObject } from './http.js';

/** Re-wraps a Gemini error answer the way Google's OpenAI layer does: `[{"error": {...}}]`. */
export async function openAiError(answer: Response): Promise<Response> {
  const text = await answer.text();
  let body = text;
  try {
    const value: unknown = JSON.parse(text);
    body = `${JSON.stringify(Array.isArray(value) ? value : [value], null, 2)}\n`;
  } catch {
    // not JSON (Google's HTML 502 page): passed through as it is
  }
  return new Response(body, {
    status: answer.status,
    headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' },
  });
}

function openAiInvalid(message: string): Promise<Response> {
  const error = bodies.invalidArgument(message);
  return openAiError(
    new Response(error.body, { status: error.status, headers: { 'content-type': error.contentType } }),
  );
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}

/** A Gemini part for one OpenAI content part: text, an image or audio (data: URL or base64), or a file URL. */
function partOf(part: unknown): Record<string, unknown> | undefined {
  if (!isObject(part)) return undefined;
  if (part.type === 'text' && typeof part.text === 'string') return { text: part.text };
  if (part.type === 'image_url') {
    const url = isObject(part.image_url) ? part.image_url.url : part.image_url;
    if (typeof url !== 'string') return undefined;
    const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (data) return { inlineData: { mimeType: data[1], data: data[2] } };
    return { fileData: { fileUri: url, mimeType: 'image/jpeg' } };
  }
  if (part.type === 'input_audio' && isObject(part.input_audio) && typeof part.input_audio.data === 'string') {
    const format = typeof part.input_audio.format === 'string' ? part.input_audio.format : 'wav';
    return { inlineData: { mimeType: `audio/${format}`, data: part.input_audio.data } };
  }
  return undefined;
}

function partsOf(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (Array.isArray(content))
    return content.map(partOf).filter((part): part is Record<string, unknown> => part !== undefined);
  return [];
}

function parsedArguments(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return isObject(text) ? text : {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

interface NativeTurns {
  system: string[];
  contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
}

/**
 * OpenAI messages as Gemini turns: system/developer → systemInstruction; an assistant's tool_calls →
 * functionCall parts (with the thought signature Google hands out in extra_content.google); tool
 * messages → one user turn of functionResponse parts, named by the call they answer.
 * Source: https://ai.google.dev/gemini-api/docs/openai (function calling, thought signatures).
 */
function nativeTurns(messages: unknown[]): NativeTurns {
  const system: string[] = [];
  const contents: NativeTurns['contents'] = [];
  const callNames = new Map<string, string>();
  for (const message of messages) {
    if (!isObject(message)) continue;
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOf(message.content));
      continue;
    }
    if (message.role === 'tool') {
      const id = typeof message.tool_call_id === 'string' ? message.tool_call_id : '';
      const text = textOf(message.content);
      let response: unknown = { result: text };
      try {
        const value: unknown = JSON.parse(text);
        if (isObject(value)) response = value;
      } catch {
        // plain text: kept as { result }
      }
      const part = { functionResponse: { ...(id ? { id } : {}), name: callNames.get(id) ?? id, response } };
      const last = contents[contents.length - 1];
      if (last?.role === 'user' && last.parts.every((item) => 'functionResponse' in item)) last.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    const parts = partsOf(message.content);
    if (message.role === 'assistant' && Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') continue;
        if (typeof call.id === 'string') callNames.set(call.id, call.function.name);
        const google =
          isObject(call.extra_content) && isObject(call.extra_content.google) ? call.extra_content.google : {};
        parts.push({
          functionCall: {
            ...(typeof call.id === 'string' ? { id: call.id } : {}),
            name: call.function.name,
            args: parsedArguments(call.function.arguments),
          },
          ...(typeof google.thought_signature === 'string' ? { thoughtSignature: google.thought_signature } : {}),
        });
      }
    }
    contents.push({ role: message.role === 'assistant' ? 'model' : 'user', parts });
  }
  return { system, contents };
}

/** OpenAI tools and tool_choice as Gemini tools and toolConfig. */
function nativeTools(body: Record<string, unknown>): Record<string, unknown> {
  const declarations = (Array.isArray(body.tools) ? body.tools : [])
    .filter(
      (tool): tool is Record<string, unknown> => isObject(tool) && tool.type === 'function' && isObject(tool.function),
    )
    .map((tool) => {
      const fn = tool.function as Record<string, unknown>;
      return {
        name: fn.name,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        ...(isObject(fn.parameters) ? { parametersJsonSchema: fn.parameters } : {}),
      };
    });
  if (declarations.length === 0) return {};
  const choice = body.tool_choice;
  let functionCallingConfig: Record<string, unknown> | undefined;
  if (choice === 'none') functionCallingConfig = { mode: 'NONE' };
  else if (choice === 'required') functionCallingConfig = { mode: 'ANY' };
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string')
    functionCallingConfig = { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  return {
    tools: [{ functionDeclarations: declarations }],
    ...(functionCallingConfig ? { toolConfig: { functionCallingConfig } } : {}),
  };
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

/** The functionCall parts of a candidate as OpenAI tool_calls (signature in extra_content.google). */
function toolCallsOf(parts: unknown[], choiceIndex: number): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of parts) {
    if (!isObject(part) || !isObject(part.functionCall)) continue;
    const call = part.functionCall;
    calls.push({
      id: typeof call.id === 'string' ? call.id : `call_${choiceIndex}_${calls.length}`,
      type: 'function',
      function: { name: typeof call.name === 'string' ? call.name : '', arguments: JSON.stringify(call.args ?? {}) },
      ...(typeof part.thoughtSignature === 'string'
        ? { extra_content: { google: { thought_signature: part.thoughtSignature } } }
        : {}),
    });
  }
  return calls;
}

function finishReason(reason: unknown): string {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'PROHIBITED_CONTENT':
    case 'BLOCKLIST':
    case 'SPII':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export class OpenAiCompat {
  constructor(private readonly context: ResourceContext) {}

  async handle(caller: ResourceCaller, request: Request, url: URL, version: string, rest: string): Promise<Response> {
    if (rest === 'models' && request.method === 'GET') {
      const names = [...this.context.state.models.keys(), ...Object.keys(EMBEDDING_MODELS)];
      return Response.json({
        object: 'list',
        data: names.map((name) => ({ id: `models/${name}`, object: 'model', created: 0, owned_by: 'google' })),
      });
    }
    if (rest.startsWith('models/') && request.method === 'GET') {
      const name = rest.slice('models/'.length).replace(/^models\//, '');
      if (!this.context.state.models.has(name) && !EMBEDDING_MODELS[name]) {
        const error = bodies.modelResourceNotFound(name, 'v1beta');
        return openAiError(new Response(error.body, { status: error.status }));
      }
      return Response.json({ id: `models/${name}`, object: 'model', created: 0, owned_by: 'google' });
    }
    if (request.method !== 'POST') return openAiError(new Response(bodies.methodNotFound().body, { status: 404 }));
    let body: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(await request.text());
      if (!isObject(value)) throw new Error('not an object');
      body = value;
    } catch {
      return openAiInvalid('Invalid JSON payload received. Unexpected token.');
    }
    if (rest === 'chat/completions') return this.chat(caller, request, url, version, body);
    if (rest === 'embeddings') return this.embeddings(caller, body);
    return openAiError(new Response(bodies.methodNotFound().body, { status: 404 }));
  }

  private async chat(
    caller: ResourceCaller,
    request: Request,
    url: URL,
    version: string,
    body: Record<string, unknown>,
  ) {
    const model = typeof body.model === 'string' ? body.model.replace(/^models\//, '') : '';
    if (!model) return openAiInvalid('* GenerateContentRequest.model: model is required\n');
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return openAiInvalid('* GenerateContentRequest.contents: contents is not specified\n');
    }
    const { system, contents } = nativeTurns(body.messages);
    const generationConfig: Record<string, unknown> = {};
    if (typeof body.temperature === 'number') generationConfig.temperature = body.temperature;
    if (typeof body.top_p === 'number') generationConfig.topP = body.top_p;
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (typeof maxTokens === 'number') generationConfig.maxOutputTokens = maxTokens;
    if (typeof body.n === 'number') generationConfig.candidateCount = body.n;
    const native = {
      contents,
      ...nativeTools(body),
      ...(system.length > 0 ? { systemInstruction: { parts: [{ text: system.join('\n') }] } } : {}),
      ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    };
    const answer = await this.context.dispatch(
      new Request(`${url.origin}/${version}/models/${model}:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': caller.key.key },
        body: JSON.stringify(native),
        signal: request.signal,
      }),
    );
    if (answer.status !== 200) return openAiError(answer);
    const value = (await answer.json()) as Record<string, unknown>;
    const candidates = Array.isArray(value.candidates) ? (value.candidates as Array<Record<string, unknown>>) : [];
    const usage = isObject(value.usageMetadata) ? value.usageMetadata : {};
    const id = typeof value.responseId === 'string' ? value.responseId : `chatcmpl-${this.context.now().toString(36)}`;
    const created = Math.floor(this.context.now() / 1000);
    const choices = candidates.map((candidate, index) => {
      const content =
        isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
      const text = content
        .map((part) => (isObject(part) && typeof part.text === 'string' && !part.thought ? part.text : ''))
        .join('');
      const toolCalls = toolCallsOf(content, index);
      const finish = toolCalls.length > 0 ? 'tool_calls' : finishReason(candidate.finishReason);
      return { index, text, toolCalls, finish_reason: finish };
    });
    const usageBody = {
      prompt_tokens: Number(usage.promptTokenCount ?? 0),
      completion_tokens: Number(usage.candidatesTokenCount ?? 0),
      total_tokens: Number(usage.totalTokenCount ?? 0),
    };
    if (body.stream !== true) {
      return Response.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: choices.map((choice) => ({
          index: choice.index,
          message: {
            role: 'assistant',
            content: choice.toolCalls.length > 0 && choice.text === '' ? null : choice.text,
            ...(choice.toolCalls.length > 0 ? { tool_calls: choice.toolCalls } : {}),
          },
          finish_reason: choice.finish_reason,
        })),
        usage: usageBody,
      });
    }
    // Streamed: the text in pieces of a few words, then the finish reason, then [DONE].
    const lines: string[] = [];
    /** One `chat.completion.chunk` line carrying `choice` (and `extra` members such as usage). */
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
      JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [choice], ...extra });
    for (const choice of choices) {
      const pieces = choice.text.match(/\S+\s*|\s+/g) ?? (choice.toolCalls.length > 0 ? [] : ['']);
      for (let start = 0; start < pieces.length; start += 4) {
        lines.push(
          chunk({
            index: choice.index,
            delta: { role: 'assistant', content: pieces.slice(start, start + 4).join('') },
          }),
        );
      }
      if (choice.toolCalls.length > 0) {
        // Each call whole in one delta, as Google's layer sends them (arguments are not split).
        lines.push(
          chunk({
            index: choice.index,
            delta: {
              role: 'assistant',
              tool_calls: choice.toolCalls.map((call, position) => ({ index: position, ...call })),
            },
          }),
        );
      }
      lines.push(chunk({ index: choice.index, delta: {}, finish_reason: choice.finish_reason }, { usage: usageBody }));
    }
    const text = `${lines.map((line) => `data: ${line}\n\n`).join('')}data: [DONE]\n\n`;
    return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }

  private async embeddings(caller: ResourceCaller, body: Record<string, unknown>): Promise<Response> {
    const model = typeof body.model === 'string' ? body.model.replace(/^models\//, '') : '';
    if (!EMBEDDING_MODELS[model]) {
      const error = bodies.modelNotFound(model, 'v1beta', 'embedContent');
      return openAiError(new Response(error.body, { status: error.status }));
    }
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
    if (!inputs || inputs.length === 0 || inputs.some((input) => typeof input !== 'string')) {
      return openAiInvalid('* input: a string or a list of strings is required\n');
    }
    const data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }> = [];
    let tokens = 0;
    for (const [index, input] of (inputs as string[]).entries()) {
      const outcome = embedOne(
        model,
        {
          content: { parts: [{ text: input }] },
          ...(typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {}),
        },
        `BatchEmbedContentsRequest.requests[${index}]`,
      );
      if (outcome.error) return openAiError(outcome.error);
      tokens += outcome.tokens;
      const values = outcome.values!;
      const embedding =
        body.encoding_format === 'base64' ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values;
      data.push({ object: 'embedding', index, embedding });
    }
    const refused = gateEmbedding(this.context, caller, model, tokens, (inputs as string[]).join('\n'));
    if (refused) return openAiError(refused);
    return Response.json({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }
}
