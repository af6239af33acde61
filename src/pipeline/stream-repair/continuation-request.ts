// The requests a repair sends: the original again (restart), or the original followed by the text
// the client already holds and a way to go on from it (continue). What Google documents and what
// public reports show (see docs/architecture.md, stream repair):
// - contents ending with a `model` turn holding partial text ("prefill") is continued literally by
//   many Gemini models but is undocumented, and some models refuse it with a 400;
// - a final `user` turn asking to continue is accepted by every model, with less fidelity, so it
//   asks the model to repeat the last words first: that repeat is where the splice is made.
import type { Content, GenerateContentRequest } from '../../wire/index.js';
import { anchorOf } from './splice.js';

/** The request again, unchanged: a restart (checked against the delivered text by the replay). */
export function restartRequest(request: GenerateContentRequest): GenerateContentRequest {
  return request;
}

/** The conversation with the delivered text as the model's own unfinished turn. */
export function prefillRequest(request: GenerateContentRequest, delivered: string): GenerateContentRequest {
  return { ...request, contents: [...request.contents, modelTurn(delivered)] };
}

/**
 * The conversation with the delivered text as the model's turn, then a user turn asking it to
 * repeat `anchor` word for word and go on. Returns the anchor the splice looks for.
 */
export function anchoredRequest(
  request: GenerateContentRequest,
  delivered: string,
): { request: GenerateContentRequest; anchor: string } {
  const anchor = anchorOf(delivered);
  const ask: Content = {
    role: 'user',
    parts: [
      {
        text:
          'Your previous reply was cut off in the middle. Continue it from exactly where it stopped. ' +
          `Begin your reply by repeating its last words exactly as written: "${anchor}" — then go on ` +
          'with the rest of the reply. Write nothing before those words, do not start over, and do not ' +
          'comment on the interruption.',
      },
    ],
  };
  return { request: { ...request, contents: [...request.contents, modelTurn(delivered), ask] }, anchor };
}

function modelTurn(text: string): Content {
  return { role: 'model', parts: [{ text }] };
}

/** JSON mode (a JSON MIME type or a schema): the splice must keep the answer parseable. */
export function isJsonMode(request: GenerateContentRequest): boolean {
  const config = request.generationConfig;
  return Boolean(
    config?.responseMimeType?.toLowerCase().includes('json') ||
    config?.responseSchema !== undefined ||
    config?.responseJsonSchema !== undefined,
  );
}
