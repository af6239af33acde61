// gemwarden's public API.
export * from './errors/index.js';
export * from './time/index.js';
export * from './client/index.js';
export * from './policy/index.js';
export type { PipelineEvents, PipelineEventName } from './pipeline/events.js';
export type { ShrinkHook, AttemptInput } from './pipeline/engine.js';
export {
  GeminiPacer,
  unlimitedPacer,
  type Pacer,
  type Reservation,
  type PairSnapshot,
  type PacerOptions,
  type PacerEvent,
} from './pacing/pacer.js';
export { DEFAULT_LIMITS, type Limits, type Tier } from './pacing/limits.js';
export { estimateRequestTokens } from './pacing/estimate.js';
export * as wire from './wire/index.js';
