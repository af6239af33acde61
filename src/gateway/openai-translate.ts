// OpenAI chat completions ↔ Gemini generateContent: requests in, responses and stream chunks out.
import { z } from 'zod';
import type { Content, GenerateContentRequest, GenerateContentResponse, Part } from '../wire/index.js';

const contentPart = z.union([
  z.object({ type: z.literal('text'), text: z.string() }).passthrough(),
  z
    .object({
      type: z.literal('image_url'),
      image_url: z.union([z.string(), z.object({ url: z.string() }).passthrough()]),
    })
    .passthrough(),
  z.object({ type: z.string() }).passthrough(),
]);

const toolCall = z
  .object({
    id: z.string(),
    type: z.literal('function').optional(),
    function: z.object({ name: z.string().min(1), arguments: z.string().optional() }).passthrough(),
  })
  .passthrough();

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    tool_call_id: z.string().optional(),
  })
  .passthrough();

const tool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().min(1),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      })
      .passthrough(),
  })
  .passthrough();

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }).passthrough(),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().min(1, 'model is required'),
    messages: z.array(message).min(1, 'messages must not be empty'),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(5)]).nullish(),
    n: z.number().int().min(1).max(8).nullish(),
    seed: z.number().int().nullish(),
    presence_penalty: z.number().nullish(),
    frequency_penalty: z.number().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    response_format: z
      .union([
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          json_schema: z
            .object({
              name: z.string().optional(),
              schema: z.record(z.string(), z.unknown()).optional(),
              strict: z.boolean().nullish(),
            })
            .passthrough(),
        }),
      ])
      .nullish(),
    tools: z.array(tool).nullish(),
    tool_choice: toolChoice.nullish(),
  })
  .passthrough();

export type ChatRequest = z.output<typeof chatRequestSchema>;

export class TranslationError extends Error {
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** "gemini-2.5-pro", "models/gemini-2.5-pro" and "google/gemini-2.5-pro" all mean gemini-2.5-pro. */
export function geminiModelName(model: string): string {
  return model.replace(/^(models|google)\//, '');
}

function partsOf(content: z.output<typeof message>['content'], index: number): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, partIndex): Part => {
    if (part.type === 'text') return { text: String((part as { text: string }).text) };
    if (part.type === 'image_url') {
      const raw = (part as { image_url: string | { url: string } }).image_url;
      const url = typeof raw === 'string' ? raw : raw.url;
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) return { inlineData: { mimeType: data[1]!, data: data[2]! } };
      return { fileData: { fileUri: url, mimeType: 'image/*' } };
    }
    throw new TranslationError(
      `messages[${index}].content[${partIndex}]: content parts of type "${part.type}" are not supported`,
      `messages[${index}].content`,
    );
  });
}

function parseArguments(text: string | undefined, where: string): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    throw new TranslationError(`${where}: function arguments are not valid JSON`, where);
  }
}

function toolResult(content: z.output<typeof message>['content']): Record<string, unknown> {
  const text =
    typeof content === 'string'
      ? content
      : (content ?? []).map((part) => (part as { text?: string }).text ?? '').join('');
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { result: value };
  } catch {
    return { result: text };
  }
}

export function toGeminiRequest(chat: ChatRequest): GenerateContentRequest {
  const system: Part[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    const previous = contents[contents.length - 1];
    // Gemini wants turns to alternate; consecutive messages of one role become one turn.
    if (previous && previous.role === role) previous.parts.push(...parts);
    else contents.push({ role, parts });
  };
  chat.messages.forEach((entry, index) => {
    if (entry.role === 'system' || entry.role === 'developer') {
      system.push(...partsOf(entry.content, index));
      return;
    }
    if (entry.role === 'tool' || entry.role === 'function') {
      const name = entry.role === 'function' ? entry.name : callNames.get(entry.tool_call_id ?? '');
      if (!name)
        throw new TranslationError(
          `messages[${index}]: tool_call_id ${JSON.stringify(entry.tool_call_id ?? null)} does not match an earlier assistant tool call`,
          `messages[${index}].tool_call_id`,
        );
      push('user', [
        {
          functionResponse: {
            name,
            response: toolResult(entry.content),
            ...(entry.tool_call_id ? { id: entry.tool_call_id } : {}),
          },
        },
      ]);
      return;
    }
    const parts = partsOf(entry.content, index);
    if (entry.role === 'assistant') {
      for (const [callIndex, call] of (entry.tool_calls ?? []).entries()) {
        callNames.set(call.id, call.function.name);
        parts.push({
          functionCall: {
            id: call.id,
            name: call.function.name,
            args: parseArguments(call.function.arguments, `messages[${index}].tool_calls[${callIndex}]`),
          },
        });
      }
    }
    if (parts.length === 0) parts.push({ text: '' });
    push(entry.role === 'assistant' ? 'model' : 'user', parts);
  });
  if (contents.length === 0)
    throw new TranslationError('messages must include at least one user or assistant message', 'messages');
  const stop = typeof chat.stop === 'string' ? [chat.stop] : (chat.stop ?? undefined);
  const format = chat.response_format;
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  const generationConfig: NonNullable<GenerateContentRequest['generationConfig']> = {
    ...(chat.temperature != null ? { temperature: chat.temperature } : {}),
    ...(chat.top_p != null ? { topP: chat.top_p } : {}),
    ...(maxTokens != null ? { maxOutputTokens: maxTokens } : {}),
    ...(stop ? { stopSequences: stop } : {}),
    ...(chat.n != null && chat.n > 1 ? { candidateCount: chat.n } : {}),
    ...(chat.seed != null ? { seed: chat.seed } : {}),
    ...(chat.presence_penalty != null ? { presencePenalty: chat.presence_penalty } : {}),
    ...(chat.frequency_penalty != null ? { frequencyPenalty: chat.frequency_penalty } : {}),
    ...(format?.type === 'json_object' ? { responseMimeType: 'application/json' } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseMimeType: 'application/json',
          ...(format.json_schema.schema ? { responseJsonSchema: format.json_schema.schema } : {}),
        }
      : {}),
  };
  const tools =
    chat.tools && chat.tools.length > 0
      ? [
          {
            functionDeclarations: chat.tools.map((entry) => ({
              name: entry.function.name,
              ...(entry.function.description ? { description: entry.function.description } : {}),
              ...(entry.function.parameters ? { parametersJsonSchema: entry.function.parameters } : {}),
            })),
          },
        ]
      : undefined;
  const choice = chat.tool_choice;
  const toolConfig =
    choice === undefined || choice === null
      ? undefined
      : typeof choice === 'string'
        ? { functionCallingConfig: { mode: choice === 'none' ? 'NONE' : choice === 'required' ? 'ANY' : 'AUTO' } }
        : { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  return {
    contents,
    ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    ...(tools ? { tools } : {}),
    ...(tools && toolConfig ? { toolConfig } : {}),
  };
}

const FINISH: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  OTHER: 'stop',
};

export function finishReason(reason: string | undefined): string | null {
  if (!reason) return null;
  return FINISH[reason] ?? 'stop';
}

function candidateText(candidate: NonNullable<GenerateContentResponse['candidates']>[number] | undefined): string {
  return (candidate?.content?.parts ?? [])
    .filter((part) => !part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

export function usageOf(response: GenerateContentResponse): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
} {
  const usage = response.usageMetadata ?? {};
  const prompt = usage.promptTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokenCount ?? prompt + completion,
  };
}

type CandidateOf = NonNullable<GenerateContentResponse['candidates']>[number];

/** The candidate's function calls as OpenAI tool calls (ids kept when Gemini gives them). */
function toolCallsOf(
  candidate: CandidateOf | undefined,
  idPrefix: string,
): Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> {
  return (candidate?.content?.parts ?? [])
    .filter((part) => part.functionCall)
    .map((part, index) => ({
      id: part.functionCall!.id ?? `call_${idPrefix}_${index}`,
      type: 'function' as const,
      function: { name: part.functionCall!.name, arguments: JSON.stringify(part.functionCall!.args ?? {}) },
    }));
}

export function toChatCompletion(
  response: GenerateContentResponse,
  model: string,
  id: string,
  created: number,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: (response.candidates ?? []).map((candidate, index) => {
      const calls = toolCallsOf(candidate, `${id.slice(-8)}_${index}`);
      const text = candidateText(candidate);
      return {
        index: candidate.index ?? index,
        message: {
          role: 'assistant',
          content: calls.length > 0 && !text ? null : text,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: calls.length > 0 ? 'tool_calls' : (finishReason(candidate.finishReason) ?? 'stop'),
      };
    }),
    usage: usageOf(response),
  };
}

export function toChatChunk(
  response: GenerateContentResponse,
  model: string,
  id: string,
  created: number,
  first: boolean,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: (response.candidates ?? []).map((candidate, index) => {
      const calls = toolCallsOf(candidate, `${id.slice(-8)}_${index}`);
      return {
        index: candidate.index ?? index,
        delta: {
          ...(first ? { role: 'assistant' } : {}),
          content: candidateText(candidate),
          ...(calls.length > 0 ? { tool_calls: calls.map((call, callIndex) => ({ index: callIndex, ...call })) } : {}),
        },
        logprobs: null,
        finish_reason: calls.length > 0 && candidate.finishReason ? 'tool_calls' : finishReason(candidate.finishReason),
      };
    }),
  };
}
