// The one conversion at the outer edges: whatever was thrown or received becomes a GeminiError.
import { classify, type ClassifyContext } from './classify.js';
import { isGeminiError, type GeminiError } from './gemini-error.js';

/**
 * `value` as a GeminiError: returned unchanged if it already is one (from any copy of gemwarden),
 * otherwise classified (`classify(value, context)`: HTTP failures, stream frames, thrown errors of
 * any SDK, pasted text, unusable answers). Never throws.
 */
export function toGeminiError(value: unknown, context?: ClassifyContext): GeminiError {
  return isGeminiError(value) ? value : classify(value, context);
}
