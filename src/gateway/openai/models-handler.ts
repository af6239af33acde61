// GET /v1/models/{id} for OpenAI callers (`models.retrieve`), and the OpenAI-format 404 for every
// OpenAI path the gateway does not serve. Gemini callers of /v1/models/{id} (a Gemini key header
// or `?key=`) are left to the Gemini route; the body served here carries both shapes anyway.
import { bareModelName } from '../../wire/index.js';
import type { GatewayContext } from '../context.js';
import { modelNameProblem } from '../model-name.js';
import { openAiError } from '../openai-errors.js';
import { openAiFailureResponse } from '../openai-routes.js';
import type { FetchHandler } from '../router.js';
import { toSharedModel } from './models.js';
import { isOpenAiPath, looksLikeGeminiCaller, OPENAI_SERVED } from './paths.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const MODEL_PATH = /^\/v1\/models\/([^/]+)$/;

/** Whether `GET /v1/models/{id}` comes from an OpenAI caller (route predicate). */
export function isOpenAiModelRequest(url: URL, request: Request): boolean {
  return MODEL_PATH.test(url.pathname) && !looksLikeGeminiCaller(request);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': JSON_TYPE, 'x-gemwarden-attempts': '0', ...headers },
  });
}

/** GET /v1/models/{id}: the model as `{id, object: "model", created, owned_by}` plus Gemini's fields. */
export function createModelHandler({ client }: GatewayContext): FetchHandler {
  return async (request, { url }) => {
    let id: string;
    try {
      id = bareModelName(decodeURIComponent(MODEL_PATH.exec(url.pathname)![1]!));
    } catch {
      id = '';
    }
    const notFound = (attempts: string) =>
      json(404, openAiError(`The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model'), {
        'x-gemwarden-attempts': attempts,
        'x-gemwarden-kind': 'not_found',
      });
    // A name that cannot be a model id is answered without asking upstream.
    if (modelNameProblem(id, 'GetModelRequest')) return notFound('0');
    try {
      const models = await client.listModels({ signal: request.signal });
      const found = models.find((model) => bareModelName(model.name) === id);
      if (!found) return notFound('1');
      return json(200, toSharedModel(found), { 'x-gemwarden-attempts': '1' });
    } catch (failure) {
      return openAiFailureResponse(failure, id);
    }
  };
}

/**
 * Route predicate for OpenAI paths no OpenAI route took. The models resource is left to the Gemini
 * route (its list answers both SDKs); everything else of OpenAI's must not reach Gemini's pass-through.
 */
export function isUnservedOpenAiPath(url: URL): boolean {
  return isOpenAiPath(url.pathname) && !/^\/v1\/models(?:\/|$)/.test(url.pathname);
}

/** The 404 for an OpenAI path gemwarden does not serve, in OpenAI's error shape (as OpenAI words it). */
export const unservedOpenAiHandler: FetchHandler = async (request, { url }) =>
  new Response(
    JSON.stringify(
      openAiError(
        `Invalid URL (${request.method} ${url.pathname}): gemwarden serves ${OPENAI_SERVED.join(', ')} of OpenAI's API on /v1. Google's own OpenAI-compatible layer serves more (images, files, batches, audio input): point the client at /v1beta/openai/ on this gateway, which passes it through with the same key rotation and retries.`,
        'invalid_request_error',
        'not_found',
      ),
    ),
    {
      status: 404,
      headers: { 'content-type': JSON_TYPE, 'x-gemwarden-attempts': '0', 'x-gemwarden-kind': 'not_found' },
    },
  );
