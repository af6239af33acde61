// The error model: one GeminiError with a machine-readable kind, classify() from any failure,
// the catalogue of remedies and explain() for people.
export * from './kinds.js';
export * from './gemini-error.js';
export * from './blame.js';
export { decideBlame, type BlameEvidence } from './decide-blame.js';
export { toGeminiError } from './to-gemini-error.js';
export * from './quota.js';
export * from './retry-delay.js';
export { classifyLiveClose } from './live-close.js';
export { classify, classifyResponse, type ClassifyInput, type ClassifyContext, type HttpFailure } from './classify.js';
export { findingInAnswer } from './finding-in-answer.js';
export { inspectResponse, looksLikeResponse, BLOCKING_FINISH_REASONS, type ResponseProblem } from './response-check.js';
export { streamFrameError, streamChunkProblem } from './stream-errors.js';
export { CATALOGUE, replacementModel, specifics, type CatalogueEntry } from './catalogue.js';
export { explain, explainText, type Explanation, type TextStyle } from './explain.js';
export { keyHint, redactSecrets } from './redact.js';
export { findEmbeddedValues } from './embedded-json.js';
