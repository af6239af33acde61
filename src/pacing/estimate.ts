// A local input-token estimate made before sending, from Google's stated rule of thumb, so a request
// is booked against TPM before any answer can say its real size. The pacer corrects it afterwards:
// each booking from the answer's usageMetadata.promptTokenCount, and later estimates of the model
// by the ratio it has seen (calibration.ts), so the rule of thumb only has to be right on average.
import type { Content, GenerateContentRequest } from '../wire/index.js';

/**
 * ASCII characters per token. "For Gemini models, a token is equivalent to about 4 characters. 100
 * tokens is equal to about 60-80 English words." (https://ai.google.dev/gemini-api/docs/tokens).
 * An estimate that errs high makes TPM bind before the RPM and slows every batch by the error, with
 * no answer to correct it where the answer carries no count (embeddings); one that errs low costs at
 * most a TPM 429, whose quota details then correct the model's calibration. So the documented ratio
 * is taken as it is.
 */
const ASCII_CHARACTERS_PER_TOKEN = 4;

/**
 * Tokens of one inline or file part (image, audio, video, PDF). The tokens page above: an image
 * with both sides ≤ 384 px is 258 tokens, larger ones are cut into 768×768 tiles of 258 tokens each;
 * video is 263 tokens a second and audio 32. The part's size is not known without decoding it, so
 * one small image's count is charged; the answer's promptTokenCount corrects the booking.
 */
const MEDIA_PART_TOKENS = 258;

/**
 * Estimated tokens of `text`: a token per 4 ASCII characters (Google's figure above), and a token
 * per other character. The tokens page gives no figure for other scripts; a whole token per
 * character is high for accented Latin and about right for CJK scripts, whose tokenisers rarely
 * pack more than one such character into a token, and calibration corrects the rest.
 */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / ASCII_CHARACTERS_PER_TOKEN) + other;
}

function estimateContents(contents: readonly Content[] | undefined): number {
  let total = 0;
  for (const content of contents ?? []) {
    for (const part of content.parts ?? []) {
      if (typeof part.text === 'string') total += estimateTextTokens(part.text);
      if (part.inlineData || part.fileData) total += MEDIA_PART_TOKENS;
      if (part.functionCall) total += estimateTextTokens(JSON.stringify(part.functionCall));
      if (part.functionResponse) total += estimateTextTokens(JSON.stringify(part.functionResponse));
    }
  }
  return total;
}

/**
 * Estimated input tokens of a generateContent request (contents, system instruction and tools),
 * at least 1. Embedding calls are estimated from their texts' parts the same way.
 */
export function estimateRequestTokens(request: GenerateContentRequest): number {
  let total = estimateContents(request.contents);
  if (request.systemInstruction) total += estimateContents([request.systemInstruction]);
  if (request.tools) total += estimateTextTokens(JSON.stringify(request.tools));
  return Math.max(1, total);
}
