// The OpenAI wire shapes the gateway answers with (Chat Completions, Embeddings, Models, errors).
// Field names and meanings follow OpenAI's API reference (platform.openai.com/docs/api-reference);
// the `extra_content.google` and `reasoning_content` members follow Google's own OpenAI layer
// (ai.google.dev/gemini-api/docs/openai), so clients written for it work through the gateway.

/** `finish_reason` values OpenAI clients know. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Google's extension on a tool call: the Gemini thought signature to send back next turn. */
export interface GoogleExtraContent {
  google: { thought_signature: string };
}

/** One function call the model made (`choices[].message.tool_calls[]`). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: GoogleExtraContent;
}

/** A tool call inside a stream delta: `index` says which call of the message it belongs to. */
export interface ChatToolCallDelta extends ChatToolCall {
  index: number;
}

/** One token's log probability (`choices[].logprobs.content[]`); `logprob` is a natural log. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token. */
  bytes: number[] | null;
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] | null }>;
}

export interface ChoiceLogprobs {
  content: TokenLogprob[] | null;
  refusal: null;
}

export interface ChatMessage {
  role: 'assistant';
  content: string | null;
  refusal: null;
  tool_calls?: ChatToolCall[];
  /** The model's thought summaries, present only when the request asked for thoughts. */
  reasoning_content?: string;
}

export interface ChatChoice {
  index: number;
  message: ChatMessage;
  logprobs: ChoiceLogprobs | null;
  finish_reason: ChatFinishReason;
}

/** Token counts; the `*_details` members are present when Gemini reported the matching count. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoice[];
  usage: ChatUsage;
  service_tier?: string;
  system_fingerprint?: string;
}

export interface ChatDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: ChatToolCallDelta[];
}

export interface ChatChunkChoice {
  index: number;
  delta: ChatDelta;
  logprobs: ChoiceLogprobs | null;
  finish_reason: ChatFinishReason | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatChunkChoice[];
  usage?: ChatUsage | null;
  service_tier?: string;
}

/** One vector of `POST /v1/embeddings`: floats, or base64 of little-endian float32 values. */
export interface EmbeddingItem {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingList {
  object: 'list';
  data: EmbeddingItem[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** `GET /v1/models/{id}` and each entry of `GET /v1/models`. `created` is in Unix seconds. */
export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
