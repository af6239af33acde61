// Gemini-native routes: /v1beta, /v1 and /v1alpha models, generateContent, streamGenerateContent
// (SSE and the JSON array) and countTokens, answered through the resilient client by the same code
// path as `createGeminiFetch` (client/fetch-adapter.ts).
import {
  CLIENT_METHODS,
  geminiCallAnswer,
  geminiErrorResponse,
  GEMINI_JSON_TYPE,
  toFetchResponse,
  type GeminiAnswer,
} from '../client/index.js';
import { parseStreamRepairMode, STREAM_REPAIR_HEADER, type StreamRepairMode } from '../client/index.js';
import { bareModelName, parseGeminiPath, type ApiVersion, type GenerateContentRequest } from '../wire/index.js';
import { rejection, rejectRequest, type GatewayContext } from './context.js';
import { modelNameProblem } from './model-name.js';
import { parseJsonBody, readBodyText, type BodyResult } from './request-body.js';
import type { FetchHandler } from './router.js';

/** True for the Gemini-native paths this module answers (other Gemini paths go elsewhere). */
export function isGeminiModelPath(url: URL): boolean {
  const route = parseGeminiPath(url.pathname);
  return route !== undefined && (route.kind !== 'method' || CLIENT_METHODS.has(route.method));
}

/** The Gemini-native handler: models list/get (GET) and the model methods (POST). */
export function createGeminiHandler(context: GatewayContext): FetchHandler {
  const { client, bodyLimitBytes } = context;
  const answerCall = modelCallAnswerer(context);
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
    const read: BodyResult = !readBefore
      ? await readBodyText(request, bodyLimitBytes)
      : readBefore.bytes > bodyLimitBytes
        ? { status: 413, message: `Request payload size exceeds the limit: ${bodyLimitBytes} bytes.` }
        : { text: readBefore.text };
    return toFetchResponse(
      await answerCall({
        path,
        route,
        sse: url.searchParams.get('alt') === 'sse',
        streamRepair: request.headers.get(STREAM_REPAIR_HEADER),
        read,
        ...(readBefore?.value !== undefined ? { parsedBefore: readBefore.value } : {}),
        signal,
      }),
    );
  };
}

/** One model method call as an edge has read it (the Fetch route or the Node edge). */
export interface ModelCall {
  /** The request path (for rejections in the path's own format). */
  path: string;
  route: { version: ApiVersion; model: string; method: string };
  /** `?alt=sse` was asked for. */
  sse: boolean;
  /** The x-gemwarden-stream-repair header as sent, or null. */
  streamRepair: string | null;
  /** The body as read within the limit, or why it was refused. */
  read: BodyResult;
  /** `JSON.parse(read.text)` when the edge already parsed it. */
  parsedBefore?: unknown;
  /** Aborts the upstream call when the client goes away. */
  signal: AbortSignal;
}

/**
 * The one answer of a model method call (generateContent, streamGenerateContent, countTokens),
 * whichever edge read it: the model name, the body (limit, JSON, nesting), the stream-repair header,
 * then the call through the client. Refusals come first, before any upstream call, in the path's
 * own format. Never throws.
 */
export function modelCallAnswerer({
  client,
  metrics,
  streamFailed,
}: GatewayContext): (call: ModelCall) => Promise<GeminiAnswer> {
  return async ({ path, route, sse, streamRepair: repairHeader, read, parsedBefore, signal }) => {
    const model = bareModelName(route.model);
    const badName = modelNameProblem(
      model,
      route.method === 'countTokens' ? 'CountTokensRequest' : 'GenerateContentRequest',
    );
    if (badName) return rejection(path, 400, badName, 'invalid_request');
    if ('status' in read)
      return rejection(path, read.status, read.message, read.status === 413 ? 'input_too_large' : 'invalid_request');
    const parsed = parseJsonBody(read.text, parsedBefore);
    if ('error' in parsed) return rejection(path, 400, parsed.error, 'invalid_request');
    const body = parsed.value as unknown as GenerateContentRequest & {
      generateContentRequest?: GenerateContentRequest;
    };
    let streamRepair: StreamRepairMode | undefined;
    try {
      streamRepair = parseStreamRepairMode(repairHeader);
    } catch (problem) {
      return rejection(path, 400, `${STREAM_REPAIR_HEADER}: ${(problem as Error).message}`, 'invalid_request');
    }
    return geminiCallAnswer(client, model, route.method, body, {
      // The client's own bytes go upstream while the request is unchanged (do no harm: large
      // integers, key order and unknown fields stay as sent).
      requestText: read.text,
      sse,
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
