// gemwarden's public API.
export * from './errors/index.js';
export * from './time/index.js';
export * from './client/index.js';
export * from './policy/index.js';
export type { PipelineEvents, PipelineEventName } from './pipeline/events.js';
export type { ShrinkHook, AttemptInput } from './pipeline/engine.js';
export type { Pacer, PacerTicket } from './pacing/pacer.js';
export { estimateRequestTokens } from './pacing/estimate.js';
export * as wire from './wire/index.js';
