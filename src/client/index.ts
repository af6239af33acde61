// The resilient client: createClient(), its streams, and a fetch for SDKs.
export {
  createClient,
  GeminiClient,
  type GenerateResult,
  type ClientSnapshot,
  type BatchEmbedContentsBody,
  type BatchEmbedContentsAnswer,
} from './create-client.js';
export { GeminiStream } from './stream.js';
export {
  answerGeminiCall,
  CLIENT_METHODS,
  createGeminiFetch,
  geminiCallAnswer,
  geminiErrorAnswer,
  geminiErrorResponse,
  GEMINI_JSON_TYPE,
  headerSafe,
  retryAfterSeconds,
  toFetchResponse,
  type AnswerPieces,
  type GeminiAnswer,
  type GeminiCallOptions,
} from './fetch-adapter.js';
export { geminiErrorBody, httpStatusFor, gemwardenInfo, type GemwardenErrorInfo } from './error-response.js';
export { CLIENT_DEFAULTS, type AnswerChecks, type ClientOptions, type CallOptions } from './options.js';
export { parseStreamRepairMode, STREAM_REPAIR_HEADER } from './repairing-stream.js';
export type { StreamRepairMode } from '../pipeline/stream-repair/index.js';
