// A local input-token estimate made before sending, meant to err high (about three ASCII characters
// per token, one token per other character, a generous cost per media part). Pacing corrects it
// afterwards from usageMetadata.promptTokenCount.
import type { Content, GenerateContentRequest } from '../wire/index.js';

const MEDIA_PART_TOKENS = 300;

export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3) + other;
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

export function estimateRequestTokens(request: GenerateContentRequest): number {
  let total = estimateContents(request.contents);
  if (request.systemInstruction) total += estimateContents([request.systemInstruction]);
  if (request.tools) total += estimateTextTokens(JSON.stringify(request.tools));
  return Math.max(1, total);
}
