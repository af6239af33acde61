// POST /v1/embeddings as a Fetch handler: OpenAI's request checked, Gemini's batchEmbedContents
// called through the resilient client (at most 100 texts per call, in order), OpenAI's list back.
import { toGeminiError } from '../../errors/index.js';
import type { GatewayContext } from '../context.js';
import { modelNameProblem } from '../model-name.js';
import { openAiError } from '../openai-errors.js';
import { openAiFailureResponse } from '../openai-routes.js';
import { geminiModelName } from '../openai-translate.js';
import { parseJsonBody, readBodyText } from '../request-body.js';
import type { FetchHandler } from '../router.js';
import { embeddingInputs, embeddingsRequestSchema, toBatchEmbedRequests, toEmbeddingList } from './embeddings.js';
import { TranslationError } from './translation-error.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': JSON_TYPE, 'x-gemwarden-attempts': '0', ...headers },
  });
}

/** POST /v1/embeddings: string or array input, `dimensions`, `encoding_format` float or base64. */
export function createEmbeddingsHandler({ client, bodyLimitBytes }: GatewayContext): FetchHandler {
  return async (request) => {
    const read = await readBodyText(request, bodyLimitBytes);
    if ('status' in read)
      return json(read.status, openAiError(read.message, 'invalid_request_error', 'invalid_request'));
    const parsed = parseJsonBody(read.text);
    if ('error' in parsed) return json(400, openAiError(parsed.error, 'invalid_request_error', 'invalid_json'));
    const checked = embeddingsRequestSchema.safeParse(parsed.value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const param = issue.path.map(String).join('.') || null;
      return json(
        400,
        openAiError(`${param ?? 'request'}: ${issue.message}`, 'invalid_request_error', 'invalid_request', param),
      );
    }
    const embeddings = checked.data;
    const model = geminiModelName(embeddings.model);
    if (modelNameProblem(model, 'BatchEmbedContentsRequest'))
      return json(
        400,
        openAiError(
          `model: ${JSON.stringify(embeddings.model)} is not a model name`,
          'invalid_request_error',
          'invalid_model',
          'model',
        ),
      );
    let texts: string[];
    try {
      texts = embeddingInputs(embeddings);
    } catch (error) {
      if (error instanceof TranslationError)
        return json(400, openAiError(error.message, 'invalid_request_error', 'unsupported', error.param ?? null));
      throw error;
    }
    const answers = [];
    let attempts = 0;
    try {
      // One batch after another: each is paced and retried on its own, and the order is kept.
      for (const body of toBatchEmbedRequests(model, texts, embeddings.dimensions)) {
        const result = await client.batchEmbedContents(model, body, { signal: request.signal });
        answers.push(result.response);
        attempts += result.attempts.length;
      }
    } catch (failure) {
      return openAiFailureResponse(failure, model);
    }
    try {
      const list = toEmbeddingList(model, answers, texts.length, embeddings.encoding_format ?? 'float');
      return json(200, list, { 'x-gemwarden-model': model, 'x-gemwarden-attempts': String(attempts) });
    } catch (failure) {
      return openAiFailureResponse(toGeminiError(failure, { model }), model);
    }
  };
}
