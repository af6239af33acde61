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
export {
  createPacingStore,
  FailoverStore,
  type FailoverEvent,
  type FailoverStoreOptions,
  type PacingStoreOptions,
  type SharedPacingStore,
} from './pacing/failover-store.js';
export { MemoryPacingStore } from './pacing/memory-store.js';
export { RedisPacingStore, type RedisStoreOptions } from './pacing/redis-store.js';
export type { PacingStore, Booked, PairUsage, QuotaWindows, Windows } from './pacing/store.js';
export { estimateRequestTokens } from './pacing/estimate.js';
export * as wire from './wire/index.js';
