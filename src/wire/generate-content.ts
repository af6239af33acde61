// Request and response types of generateContent, streamGenerateContent, countTokens and the
// models resource (Gemini REST API v1beta; v1 uses the same shapes for what it supports).

export type Role = 'user' | 'model' | (string & {});

export interface Blob {
  mimeType: string;
  data: string;
}
export interface FileData {
  mimeType?: string;
  fileUri: string;
}
export interface FunctionCall {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}
export interface FunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
  willContinue?: boolean;
}

export interface Part {
  text?: string;
  inlineData?: Blob;
  fileData?: FileData;
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
  executableCode?: { language?: string; code?: string };
  codeExecutionResult?: { outcome?: string; output?: string };
  /** True for a part that carries the model's thinking summary rather than its answer. */
  thought?: boolean;
  /** Opaque signature to send back with the part in the next turn. */
  thoughtSignature?: string;
  videoMetadata?: { startOffset?: string; endOffset?: string; fps?: number };
}

export interface Content {
  role?: Role;
  parts: Part[];
}

export interface Schema {
  type?: 'TYPE_UNSPECIFIED' | 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT' | 'NULL' | (string & {});
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  propertyOrdering?: string[];
  anyOf?: Schema[];
  minItems?: string | number;
  maxItems?: string | number;
  minimum?: number;
  maximum?: number;
  [extra: string]: unknown;
}

export interface ThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: string;
}

export interface GenerationConfig {
  stopSequences?: string[];
  responseMimeType?: string;
  responseSchema?: Schema;
  responseJsonSchema?: unknown;
  responseModalities?: string[];
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  thinkingConfig?: ThinkingConfig;
  [extra: string]: unknown;
}

export interface SafetySetting {
  category: string;
  threshold: string;
}

export interface FunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Schema;
  parametersJsonSchema?: unknown;
  response?: Schema;
  responseJsonSchema?: unknown;
}

export interface Tool {
  functionDeclarations?: FunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  googleSearchRetrieval?: Record<string, unknown>;
  codeExecution?: Record<string, unknown>;
  urlContext?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface GenerateContentRequest {
  contents: Content[];
  systemInstruction?: Content;
  tools?: Tool[];
  toolConfig?: Record<string, unknown>;
  safetySettings?: SafetySetting[];
  generationConfig?: GenerationConfig;
  cachedContent?: string;
  model?: string;
}

export type FinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS'
  | (string & {});

export interface SafetyRating {
  category: string;
  probability: string;
  blocked?: boolean;
}

export interface Candidate {
  content?: Content;
  finishReason?: FinishReason;
  finishMessage?: string;
  safetyRatings?: SafetyRating[];
  index?: number;
  tokenCount?: number;
  citationMetadata?: unknown;
  groundingMetadata?: unknown;
}

export interface PromptFeedback {
  blockReason?: string;
  blockReasonMessage?: string;
  safetyRatings?: SafetyRating[];
}

export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GenerateContentResponse {
  candidates?: Candidate[];
  promptFeedback?: PromptFeedback;
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

export interface CountTokensRequest {
  contents?: Content[];
  generateContentRequest?: GenerateContentRequest;
}
export interface CountTokensResponse {
  totalTokens: number;
  cachedContentTokenCount?: number;
  promptTokensDetails?: unknown[];
}

export interface ModelInfo {
  name: string;
  baseModelId?: string;
  version: string;
  displayName: string;
  description?: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  supportedGenerationMethods: string[];
  temperature?: number;
  maxTemperature?: number;
  topP?: number;
  topK?: number;
  thinking?: boolean;
}

export interface ListModelsResponse {
  models: ModelInfo[];
  nextPageToken?: string;
}

/**
 * The chunk's part of candidate 0. With `candidateCount` above 1 each chunk carries the candidates
 * it has news of, each with its `index`: candidate 0 is the one with index 0 (or none).
 */
export function firstCandidate(chunk: GenerateContentResponse): Candidate | undefined {
  return chunk.candidates?.find((candidate) => (candidate.index ?? 0) === 0);
}

/** The text of a response's first candidate, without thought parts. */
export function responseText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => !part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}
