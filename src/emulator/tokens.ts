// The emulator's token count: about four ASCII characters per token, one token per other character,
// a fixed cost per media part. countTokens and usageMetadata both come from here, so they agree.
import type { Content, GenerateContentRequest, Part } from '../wire/index.js';

const MEDIA_PART_TOKENS = 258;

export function countTextTokens(text: string): number {
  let units = 0;
  for (const char of text) units += char.charCodeAt(0) < 128 ? 1 : 4;
  return Math.ceil(units / 4);
}

function countPartTokens(part: Part): number {
  let tokens = 0;
  if (typeof part.text === 'string') tokens += countTextTokens(part.text);
  if (part.inlineData || part.fileData) tokens += MEDIA_PART_TOKENS;
  if (part.functionCall) tokens += countTextTokens(JSON.stringify(part.functionCall));
  if (part.functionResponse) tokens += countTextTokens(JSON.stringify(part.functionResponse));
  return tokens;
}

export function countContentTokens(contents: readonly Content[] | undefined): number {
  let total = 0;
  for (const content of contents ?? []) for (const part of content.parts ?? []) total += countPartTokens(part);
  return total;
}

export function countRequestTokens(request: GenerateContentRequest): number {
  let total = countContentTokens(request.contents);
  if (request.systemInstruction) total += countContentTokens([request.systemInstruction]);
  if (request.tools) total += countTextTokens(JSON.stringify(request.tools));
  return total;
}
