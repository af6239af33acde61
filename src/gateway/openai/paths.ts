// Which `/v1/…` paths are OpenAI's and which are Gemini v1's. OpenAI's API reference
// (platform.openai.com/docs/api-reference) decides: a path whose first segment after `/v1/` is one
// of OpenAI's resources is answered in OpenAI's format (served, or a 404 in OpenAI's error shape);
// everything else under `/v1/` is Gemini's v1 API. `models` is in both lists: its answers carry
// both shapes, and its errors follow the caller (a Gemini key header or `?key=` means Gemini).

/** First path segments of OpenAI's REST resources under /v1. */
export const OPENAI_RESOURCES: ReadonlySet<string> = new Set([
  'chat',
  'completions',
  'embeddings',
  'models',
  'responses',
  'conversations',
  'audio',
  'images',
  'videos',
  'files',
  'uploads',
  'batches',
  'fine_tuning',
  'moderations',
  'assistants',
  'threads',
  'vector_stores',
  'realtime',
  'evals',
  'containers',
  'organization',
  'chatkit',
]);

/** The `/v1/…` paths the gateway serves itself in OpenAI's format. */
export const OPENAI_SERVED = ['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/v1/models/{model}'] as const;

/** True for a path (query ignored) that belongs to OpenAI's API under /v1. */
export function isOpenAiPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  const match = /^\/v1\/([^/:?]+)/.exec(path);
  return match !== null && OPENAI_RESOURCES.has(match[1]!);
}

/** Whether a request on a shared path comes from a Gemini client (key header or `key=` query). */
export function looksLikeGeminiCaller(request: Request): boolean {
  if (request.headers.has('x-goog-api-key') || request.headers.has('x-goog-api-client')) return true;
  return new URL(request.url).searchParams.has('key');
}
