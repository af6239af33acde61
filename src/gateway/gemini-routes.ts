// Gemini-native routes: /v1beta, /v1 and /v1alpha models, generateContent, streamGenerateContent
// (SSE and the JSON array) and countTokens, answered through the resilient client by the same code
// path as `createGeminiFetch` (client/fetch-adapter.ts).
import { answerGeminiCall, CLIENT_METHODS, geminiErrorResponse, GEMINI_JSON_TYPE } from '../client/index.js';
import { parseStreamRepairMode, STREAM_REPAIR_HEADER, type StreamRepairMode } from '../client/index.js';
import { bareModelName, parseGeminiPath, type GenerateContentRequest } from '../wire/index.js';
import { rejectRequest, type GatewayContext } from './context.js';
import { modelNameProblem } from './model-name.js';
import { parseJsonBody, readBodyText, type BodyResult } from './request-body.js';
import type { FetchHandler } from './router.js';

/** True for the Gemini-native paths this module answers (other Gemini paths go elsewhere). */
export function isGeminiModelPath(url: URL): boolean {
  const route = parseGeminiPath(url.pathname);
  return route !== undefined && (route.kind !== 'method' || CLIENT_METHODS.has(route.method));
}

/** The Gemini-native handler: models list/get (GET) and the model methods (POST). */
export function createGeminiHandler({ client, metrics, bodyLimitBytes, streamFailed }: GatewayContext): FetchHandler {
  return async (request, { url, body: readBefore }) => {
    const path = url.pathname;
    const route = parseGeminiPath(path);
    const noRoute = () => rejectRequest(path, 404, `No route for ${request.method} ${path}`, 'not_found');
    if (!route) return noRoute();
    const signal = request.signal;

    if (route.kind === 'list-models' || route.kind === 'get-model') {
      if (request.method !== 'GET') return noRoute();
      try {
        const models = await client.listModels({ signal });
        const headers = { 'content-type': GEMINI_JSON_TYPE, 'x-gemwarden-attempts': '1' };
        if (route.kind === 'list-models') {
          // /v1/models serves the OpenAI SDK too: one body both parsers read.
          const openAi =
            route.version === 'v1'
              ? {
                  object: 'list',
                  data: models.map((model) => ({
                    id: bareModelName(model.name),
                    object: 'model',
                    created: 0,
                    owned_by: 'google',
                  })),
                }
              : {};
          return new Response(JSON.stringify({ models, ...openAi }), { headers });
        }
        const found = models.find((model) => bareModelName(model.name) === bareModelName(route.model));
        if (!found)
          return rejectRequest(
            path,
            404,
            `Model is not found: models/${bareModelName(route.model)} for api version ${route.version}`,
            'not_found',
          );
        return new Response(JSON.stringify(found), { headers });
      } catch (failure) {
        return geminiErrorResponse(failure, '(models)');
      }
    }

    if (request.method !== 'POST') return noRoute();
    const model = bareModelName(route.model);
    const badName = modelNameProblem(
      model,
      route.method === 'countTokens' ? 'CountTokensRequest' : 'GenerateContentRequest',
    );
    if (badName) return rejectRequest(path, 400, badName, 'invalid_request');
    const read: BodyResult = !readBefore
      ? await readBodyText(request, bodyLimitBytes)
      : readBefore.bytes > bodyLimitBytes
        ? { status: 413, message: `Request payload size exceeds the limit: ${bodyLimitBytes} bytes.` }
        : { text: readBefore.text };
    if ('status' in read)
      return rejectRequest(
        path,
        read.status,
        read.message,
        read.status === 413 ? 'input_too_large' : 'invalid_request',
      );
    const parsed = parseJsonBody(read.text, readBefore?.value);
    if ('error' in parsed) return rejectRequest(path, 400, parsed.error, 'invalid_request');
    const body = parsed.value as unknown as GenerateContentRequest & {
      generateContentRequest?: GenerateContentRequest;
    };
    let streamRepair: StreamRepairMode | undefined;
    try {
      streamRepair = parseStreamRepairMode(request.headers.get(STREAM_REPAIR_HEADER));
    } catch (problem) {
      return rejectRequest(path, 400, `${STREAM_REPAIR_HEADER}: ${(problem as Error).message}`, 'invalid_request');
    }
    return answerGeminiCall(client, model, route.method, body, {
      sse: url.searchParams.get('alt') === 'sse',
      signal,
      // The version the client chose is the version sent upstream (v1 stays v1).
      apiVersion: route.version,
      ...(streamRepair ? { streamRepair } : {}),
      onStreamFailure: streamFailed,
      // A finding known before answering is counted by the pipeline (request-failed); a late one here.
      onLateFinding: (finding) => metrics.failures.inc({ kind: finding.kind }),
    });
  };
}
