// Gemini-native routes: /v1beta and /v1 models, generateContent, streamGenerateContent (SSE and the
// JSON array) and countTokens, answered through the resilient client.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { geminiErrorBody, httpStatusFor } from '../client/index.js';
import { classify, isGeminiError, type GeminiError } from '../errors/index.js';
import {
  bareModelName,
  encodeSseEvent,
  JsonArrayStreamWriter,
  parseGeminiPath,
  type GenerateContentRequest,
} from '../wire/index.js';
import { disconnectSignal, parseJsonBody } from './request-signal.js';
import { rejectRequest, type GatewayContext } from './context.js';
import { writeWithBackpressure } from './write-stream.js';

const JSON_TYPE = 'application/json; charset=UTF-8';

function sendGeminiError(reply: FastifyReply, failure: unknown, requestedModel: string): FastifyReply {
  const error: GeminiError = isGeminiError(failure) ? failure : classify(failure);
  return reply
    .code(httpStatusFor(error))
    .header('content-type', JSON_TYPE)
    .header('x-gemwarden-model', error.model ?? requestedModel)
    .header('x-gemwarden-attempts', String(error.attempts.length))
    .header('x-gemwarden-kind', error.kind)
    .send(`${JSON.stringify(geminiErrorBody(error), null, 2)}\n`);
}

export function registerGeminiRoutes(app: FastifyInstance, { client }: GatewayContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const route = parseGeminiPath(path);
    if (!route) return rejectRequest(request, reply, 404, `No route for ${request.method} ${path}`, 'not_found');
    const signal = disconnectSignal(reply);

    if (route.kind === 'list-models' || route.kind === 'get-model') {
      if (request.method !== 'GET')
        return rejectRequest(request, reply, 404, `No route for ${request.method} ${path}`, 'not_found');
      try {
        const models = await client.listModels({ signal });
        reply.header('x-gemwarden-attempts', '1');
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
          return reply.header('content-type', JSON_TYPE).send(JSON.stringify({ models, ...openAi }));
        }
        const found = models.find((model) => bareModelName(model.name) === bareModelName(route.model));
        if (!found)
          return rejectRequest(
            request,
            reply,
            404,
            `Model is not found: models/${bareModelName(route.model)} for api version ${route.version}`,
            'not_found',
          );
        return reply.header('content-type', JSON_TYPE).send(JSON.stringify(found));
      } catch (failure) {
        return sendGeminiError(reply, failure, '(models)');
      }
    }

    if (request.method !== 'POST')
      return rejectRequest(request, reply, 404, `No route for ${request.method} ${path}`, 'not_found');
    const model = bareModelName(route.model);
    const parsed = parseJsonBody(request.body);
    if (parsed.error) return rejectRequest(request, reply, 400, parsed.error, 'invalid_request');
    const body = parsed.value as unknown as GenerateContentRequest & {
      generateContentRequest?: GenerateContentRequest;
    };

    try {
      if (route.method === 'generateContent') {
        const result = await client.generateContent(model, body, { signal });
        return reply
          .header('content-type', JSON_TYPE)
          .header('x-gemwarden-model', result.model)
          .header('x-gemwarden-attempts', String(result.attempts.length))
          .send(JSON.stringify(result.response));
      }
      if (route.method === 'countTokens') {
        const counted = await client.countTokens(model, body.generateContentRequest ?? body, { signal });
        return reply
          .header('content-type', JSON_TYPE)
          .header('x-gemwarden-model', model)
          .header('x-gemwarden-attempts', '1')
          .send(JSON.stringify(counted));
      }
      if (route.method !== 'streamGenerateContent') {
        return rejectRequest(
          request,
          reply,
          404,
          `The gateway does not serve ${route.method}; call the Gemini API directly for it.`,
          'not_found',
        );
      }
    } catch (failure) {
      return sendGeminiError(reply, failure, model);
    }

    const sse = (request.query as Record<string, unknown>).alt === 'sse';
    const stream = client.generateContentStream(model, body, { signal });
    try {
      await stream.start();
    } catch (failure) {
      return sendGeminiError(reply, failure, model);
    }
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': sse ? 'text/event-stream' : JSON_TYPE,
      'cache-control': 'no-cache',
      'x-gemwarden-model': stream.model ?? model,
      'x-gemwarden-attempts': String(stream.attempts.length),
    });
    const writer = new JsonArrayStreamWriter();
    try {
      for await (const chunk of stream) {
        if (!(await writeWithBackpressure(reply.raw, sse ? encodeSseEvent(chunk) : writer.element(chunk))))
          return reply;
      }
      if (!sse) await writeWithBackpressure(reply.raw, writer.close());
    } catch (failure) {
      // After the first chunk, a failure goes out the way Gemini sends one: a raw error object in the body.
      const error = isGeminiError(failure) ? failure : classify(failure);
      const envelope = geminiErrorBody(error);
      await writeWithBackpressure(
        reply.raw,
        sse ? `${JSON.stringify(envelope, null, 2)}\n` : `${writer.element(envelope)}${writer.close()}`,
      );
    }
    reply.raw.end();
    return reply;
  };
  app.route({ method: ['GET', 'POST'], url: '/v1beta/*', handler });
  app.route({ method: ['GET', 'POST'], url: '/v1/*', handler });
}
