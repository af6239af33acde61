// OpenAI chat completions → Gemini generateContent requests. Responses and stream chunks go the
// other way in ./openai/responses.ts; the Gemini-only options (`reasoning_effort`, `google`) are
// read in ./openai/google-options.ts; content parts in ./openai/content-parts.ts.
import { z } from 'zod';
import { bareModelName, type Content, type GenerateContentRequest, type Part } from '../wire/index.js';
import { contentPartSchema, toGeminiPart } from './openai/content-parts.js';
import { mergeThinking, readGoogleOptions, REASONING_EFFORTS } from './openai/google-options.js';
import type { SignatureMemory } from './openai/signature-memory.js';
import { TranslationError } from './openai/translation-error.js';

export { TranslationError } from './openai/translation-error.js';
export { finishReason, toChatChunk, toChatCompletion, usageOf } from './openai/responses.js';

const toolCall = z
  .object({
    id: z.string(),
    type: z.literal('function').optional(),
    function: z.object({ name: z.string().min(1), arguments: z.string().optional() }).passthrough(),
    extra_content: z
      .object({ google: z.object({ thought_signature: z.string().optional() }).passthrough().optional() })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).nullish(),
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

/**
 * The body of `POST /v1/chat/completions` as OpenAI documents it, plus Google's `google` /
 * `extra_body.google`. Accepted but without a Gemini counterpart, hence ignored: `user`,
 * `metadata`, `store`, `parallel_tool_calls` (Gemini decides itself whether to call in parallel).
 */
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
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
    service_tier: z.enum(['auto', 'default', 'flex', 'priority']).nullish(),
    user: z.string().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    store: z.boolean().nullish(),
    parallel_tool_calls: z.boolean().nullish(),
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
    google: z.unknown().optional(),
    extra_body: z.unknown().optional(),
  })
  .passthrough();

export type ChatRequest = z.output<typeof chatRequestSchema>;
type ChatMessageIn = z.output<typeof message>;

/** A Gemini request plus the one top-level field the wire types do not list yet. */
export type TranslatedRequest = GenerateContentRequest & {
  /** Gemini's inference tier: `standard`, `flex` or `priority` (ai.google.dev/gemini-api/docs/optimization). */
  serviceTier?: string;
};

/** How the answer is to be rendered back, decided by the request. */
export interface AnswerOptions {
  /** Thought summaries go to the client (`reasoning_content`, or tagged into `content`). */
  includeThoughts: boolean;
  /** Vertex-style: thoughts inside `content` as `<marker>…</marker>` instead of `reasoning_content`. */
  thoughtTagMarker?: string;
  /** `choices[].logprobs` is filled from Gemini's logprobsResult. */
  logprobs: boolean;
}

export interface TranslateOptions {
  /** Restores signatures of earlier tool calls when the client did not echo them. */
  signatures?: SignatureMemory;
}

/**
 * Google documents this value for a function call whose signature is lost (history from another
 * model or an earlier session): Gemini 3 then accepts the turn instead of answering 400
 * (ai.google.dev/gemini-api/docs/thought-signatures).
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** "gemini-2.5-pro", "models/gemini-2.5-pro" and "google/gemini-2.5-pro" all mean gemini-2.5-pro. */
export function geminiModelName(model: string): string {
  return bareModelName(model.startsWith('google/') ? model.slice('google/'.length) : model);
}

function partsOf(content: ChatMessageIn['content'], index: number): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, partIndex) =>
    // An assistant's refusal, echoed back as history, is just what it said.
    part.type === 'refusal'
      ? { text: textOfRefusal((part as { refusal?: unknown }).refusal) }
      : toGeminiPart(part, `messages[${index}].content[${partIndex}]`),
  );
}

/** A JSON object as is; any other JSON value or plain text wrapped as `{ [key]: value }`. */
function asObject(text: string, key: string, where?: string): Record<string, unknown> {
  let value: unknown = text;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    if (where) throw new TranslationError(`${where}: function arguments are not valid JSON`, where);
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { [key]: value };
}

function toolResultText(content: ChatMessageIn['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part as { text?: string }).text ?? '').join('');
}

function isGemini3(model: string): boolean {
  return /^gemini-3(?:[.-]|$)/.test(model);
}

/** An assistant message's tool calls as Gemini functionCall parts, signatures restored. */
function functionCallParts(
  entry: ChatMessageIn,
  index: number,
  model: string,
  options: TranslateOptions,
  callNames: Map<string, string>,
): Part[] {
  return (entry.tool_calls ?? []).map((call, callIndex) => {
    callNames.set(call.id, call.function.name);
    const signature = call.extra_content?.google?.thought_signature ?? options.signatures?.recall(call.id);
    // Gemini 3 checks the first call of each step; with nothing to restore, Google's skip value.
    const fallback = callIndex === 0 && isGemini3(model) ? SKIP_SIGNATURE : undefined;
    const thoughtSignature = signature ?? fallback;
    return {
      functionCall: {
        id: call.id,
        name: call.function.name,
        args: call.function.arguments
          ? asObject(call.function.arguments, 'value', `messages[${index}].tool_calls[${callIndex}].function.arguments`)
          : {},
      },
      ...(thoughtSignature ? { thoughtSignature } : {}),
    };
  });
}

function generationConfigOf(chat: ChatRequest, model: string, google: ReturnType<typeof readGoogleOptions>) {
  const stop = typeof chat.stop === 'string' ? [chat.stop] : (chat.stop ?? undefined);
  const format = chat.response_format;
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  if (chat.top_logprobs != null && !chat.logprobs)
    throw new TranslationError('top_logprobs requires logprobs to be true', 'top_logprobs');
  const thinkingConfig = mergeThinking(model, chat.reasoning_effort, google.thinkingConfig);
  const config: NonNullable<GenerateContentRequest['generationConfig']> = {};
  if (chat.temperature != null) config.temperature = chat.temperature;
  if (chat.top_p != null) config.topP = chat.top_p;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (stop) config.stopSequences = stop;
  if (chat.n != null && chat.n > 1) config.candidateCount = chat.n;
  if (chat.seed != null) config.seed = chat.seed;
  if (chat.presence_penalty != null) config.presencePenalty = chat.presence_penalty;
  if (chat.frequency_penalty != null) config.frequencyPenalty = chat.frequency_penalty;
  if (chat.logprobs) config.responseLogprobs = true;
  if (chat.logprobs && chat.top_logprobs != null) config.logprobs = chat.top_logprobs;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema' && format.json_schema.schema)
    config.responseJsonSchema = format.json_schema.schema;
  if (thinkingConfig && Object.keys(thinkingConfig).length > 0) config.thinkingConfig = thinkingConfig;
  return config;
}

function toolsOf(chat: ChatRequest): Pick<GenerateContentRequest, 'tools' | 'toolConfig'> {
  if (!chat.tools || chat.tools.length === 0) return {};
  const tools = [
    {
      functionDeclarations: chat.tools.map((entry) => ({
        name: entry.function.name,
        ...(entry.function.description ? { description: entry.function.description } : {}),
        ...(entry.function.parameters ? { parametersJsonSchema: entry.function.parameters } : {}),
      })),
    },
  ];
  const choice = chat.tool_choice;
  if (choice === undefined || choice === null) return { tools };
  const functionCallingConfig =
    typeof choice === 'string'
      ? { mode: choice === 'none' ? 'NONE' : choice === 'required' ? 'ANY' : 'AUTO' }
      : { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  return { tools, toolConfig: { functionCallingConfig } };
}

const SERVICE_TIERS: Record<string, string | undefined> = {
  auto: undefined,
  default: 'standard',
  flex: 'flex',
  priority: 'priority',
};

/**
 * The Gemini request for a chat request. System and developer messages become the system
 * instruction; consecutive messages of one role one turn (Gemini wants turns to alternate); tool
 * calls and results functionCall/functionResponse parts. Throws TranslationError for what Gemini
 * cannot be asked, before anything is sent.
 */
export function toGeminiRequest(chat: ChatRequest, options: TranslateOptions = {}): TranslatedRequest {
  const model = geminiModelName(chat.model);
  const google = readGoogleOptions(chat);
  const system: Part[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    const previous = contents[contents.length - 1];
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
      const response = asObject(toolResultText(entry.content), 'result');
      push('user', [
        { functionResponse: { name, response, ...(entry.tool_call_id ? { id: entry.tool_call_id } : {}) } },
      ]);
      return;
    }
    const parts = partsOf(entry.content, index);
    if (entry.role === 'assistant') parts.push(...functionCallParts(entry, index, model, options, callNames));
    if (parts.length === 0) parts.push({ text: '' });
    push(entry.role === 'assistant' ? 'model' : 'user', parts);
  });
  if (contents.length === 0)
    throw new TranslationError('messages must include at least one user or assistant message', 'messages');
  const generationConfig = generationConfigOf(chat, model, google);
  const serviceTier = chat.service_tier ? SERVICE_TIERS[chat.service_tier] : undefined;
  return {
    contents,
    ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    ...toolsOf(chat),
    ...(google.safetySettings ? { safetySettings: google.safetySettings } : {}),
    ...(google.cachedContent ? { cachedContent: google.cachedContent } : {}),
    ...(serviceTier ? { serviceTier } : {}),
  };
}

/** How to render the answer to `chat` (thoughts, tag marker, logprobs). */
export function answerOptionsFor(chat: ChatRequest): AnswerOptions {
  const google = readGoogleOptions(chat);
  return {
    includeThoughts: google.thinkingConfig?.includeThoughts === true,
    ...(google.thoughtTagMarker ? { thoughtTagMarker: google.thoughtTagMarker } : {}),
    logprobs: chat.logprobs === true,
  };
}

/** An assistant refusal's text (a string in OpenAI's schema); anything else is echoed as JSON. */
function textOfRefusal(refusal: unknown): string {
  if (refusal === undefined || refusal === null) return '';
  return typeof refusal === 'string' ? refusal : JSON.stringify(refusal);
}
