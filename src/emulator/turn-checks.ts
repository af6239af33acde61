// Checks on the conversation itself: thought signatures that Gemini 3 requires back on the
// function calls of the current turn, and a final model turn (a prefill) that some models refuse.
// Google's wordings, as the API writes them in public reports:
// - "Function call is missing a thought_signature in functionCall parts. This is required for tools
//   to work correctly, and missing thought_signature may lead to degraded model performance.
//   Additional data, function call `default_api:NAME` , position N. Please refer to
//   https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
// - "Requests ending with a model turn are not supported."
// Rules from https://ai.google.dev/gemini-api/docs/thought-signatures: only the current turn (the
// model steps after the last user message that is not a function response) is checked, and in a
// step with parallel calls only the first function call carries the signature.
import type { Content, GenerateContentRequest } from '../wire/index.js';

const SIGNATURE_DOCS = 'https://ai.google.dev/gemini-api/docs/thought-signatures';

function isFunctionResponseTurn(content: Content): boolean {
  const parts = content.parts ?? [];
  return parts.length > 0 && parts.every((part) => part.functionResponse !== undefined);
}

/** The message of Google's 400 when a function call of the current turn lacks its signature. */
export function missingSignature(request: GenerateContentRequest): string | undefined {
  const contents = request.contents ?? [];
  let turnStart = 0;
  contents.forEach((content, index) => {
    if ((content.role ?? 'user') === 'user' && !isFunctionResponseTurn(content)) turnStart = index + 1;
  });
  for (let index = turnStart; index < contents.length; index++) {
    const content = contents[index]!;
    if (content.role !== 'model') continue;
    const firstCall = (content.parts ?? []).find((part) => part.functionCall !== undefined);
    if (firstCall && !firstCall.thoughtSignature) {
      return (
        'Function call is missing a thought_signature in functionCall parts. This is required for tools to work ' +
        'correctly, and missing thought_signature may lead to degraded model performance. Additional data, ' +
        `function call \`default_api:${firstCall.functionCall!.name ?? ''}\` , position ${index + 1}. ` +
        `Please refer to ${SIGNATURE_DOCS} for more details.`
      );
    }
  }
  return undefined;
}

export const MODEL_TURN_REJECTED = 'Requests ending with a model turn are not supported.';

/**
 * The partial answer a request asks the model to continue: the text of a final model turn made of
 * text parts only. Undefined when the last turn is not such a turn.
 */
export function prefillOf(request: GenerateContentRequest): string | undefined {
  const last = request.contents?.[request.contents.length - 1];
  if (!last || last.role !== 'model') return undefined;
  const parts = last.parts ?? [];
  if (parts.length === 0 || !parts.every((part) => typeof part.text === 'string' && !part.thought)) return undefined;
  return parts.map((part) => part.text).join('');
}

/** The request without its final model turn: what the whole answer is computed from. */
export function withoutPrefill(request: GenerateContentRequest): GenerateContentRequest {
  return { ...request, contents: (request.contents ?? []).slice(0, -1) };
}
