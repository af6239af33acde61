// Model names from clients are checked before any upstream call: a name that cannot be a Gemini
// model id gets the API's own 400 here, and never reaches a header, a log line or a metric label
// raw. Real ids use letters, digits, '.', '-' and '_' (e.g. gemini-2.5-flash-lite-preview-09-2025);
// anything else is refused with the wording the API uses for a malformed name.

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Why `model` (bare, without "models/") cannot be a model id, in the API's words for the request
 * type (`GenerateContentRequest`, `CountTokensRequest`, …), or undefined when it is well formed.
 */
export function modelNameProblem(model: string, requestType: string): string | undefined {
  return MODEL_ID.test(model) ? undefined : `* ${requestType}.model: unexpected model name format\n`;
}
