// The gateway's pass-through: the whole Gemini REST API beyond the routes the gateway models
// itself (files, uploads, caches, batches, embeddings, tuned models, Google's OpenAI layer …),
// forwarded with project-aware routing and the remedies safe for each kind of call.
import { parseGeminiPath } from '../../wire/index.js';
import { isGeminiModelPath } from '../gemini-routes.js';
import { isPassThroughPath } from './handler.js';
import { MemoryResourceOwners, RedisResourceOwners, type ResourceOwners } from './owners.js';

export {
  createPassThroughHandler,
  isPassThroughPath,
  PASS_THROUGH_DEFAULTS,
  type PassThroughOptions,
} from './handler.js';
export { MemoryResourceOwners, RedisResourceOwners, type ResourceOwners } from './owners.js';
export { attachLiveProxy } from './live-proxy.js';
export { withCors, type CorsOptions } from './cors.js';

/**
 * The pass-through route's path test: every versioned, upload and download path except the models
 * list and get, which the native route answers; model methods come here so that a generate call
 * citing a file or a cache reaches the owning project (the rest is handed to the native route).
 */
export function passThroughPath(url: URL): boolean {
  if (!isPassThroughPath(url)) return false;
  return !isGeminiModelPath(url) || parseGeminiPath(url.pathname)?.kind === 'method';
}

/** A model method the native route serves (generateContent, streamGenerateContent, countTokens …). */
export function isNativeModelMethod(url: URL): boolean {
  return isGeminiModelPath(url) && parseGeminiPath(url.pathname)?.kind === 'method';
}

/** Owners in Redis when the gateway has `redis`, else in memory. */
export function resourceOwners(redis: string | undefined, now: () => number): ResourceOwners {
  return redis ? new RedisResourceOwners(redis, now) : new MemoryResourceOwners(now);
}
