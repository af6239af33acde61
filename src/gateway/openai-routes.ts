// OpenAI-compatible routes: POST /v1/chat/completions (stream and not), translated to Gemini and
// answered through the resilient client. GET /v1/models is served by the Gemini routes in a form
// both SDKs read.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { classify, isGeminiError } from '../errors/index.js';
import { openAiError, openAiErrorFor } from './openai-errors.js';
import {
  chatRequestSchema,
  geminiModelName,
  toChatChunk,
  toChatCompletion,
  toGeminiRequest,
  TranslationError,
  usageOf,
} from './openai-translate.js';
import { disconnectSignal, parseJsonBody } from './request-signal.js';
import type { GatewayContext } from './context.js';
import { writeWithBackpressure } from './write-stream.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function sendError(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FastifyReply {
  reply.code(status).header('content-type', JSON_TYPE);
  for (const [name, value] of Object.entries({ 'x-gemwarden-attempts': '0', ...headers })) reply.header(name, value);
  return reply.send(JSON.stringify(body));
}

export function registerOpenAiRoutes(app: FastifyInstance, { client }: GatewayContext): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = parseJsonBody(request.body);
    if (parsed.error) return sendError(reply, 400, openAiError(parsed.error, 'invalid_request_error', 'invalid_json'));
    const checked = chatRequestSchema.safeParse(parsed.value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const param = issue.path.map(String).join('.') || null;
      return sendError(
        reply,
        400,
        openAiError(`${param ?? 'request'}: ${issue.message}`, 'invalid_request_error', 'invalid_request', param),
      );
    }
    const chat = checked.data;
    let geminiRequest;
    try {
      geminiRequest = toGeminiRequest(chat);
    } catch (error) {
      if (error instanceof TranslationError)
        return sendError(
          reply,
          400,
          openAiError(error.message, 'invalid_request_error', 'unsupported', error.param ?? null),
        );
      throw error;
    }
    const model = geminiModelName(chat.model);
    const signal = disconnectSignal(reply);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);

    if (!chat.stream) {
      try {
        const result = await client.generateContent(model, geminiRequest, { signal });
        return reply
          .header('content-type', JSON_TYPE)
          .header('x-gemwarden-model', result.model)
          .header('x-gemwarden-attempts', String(result.attempts.length))
          .send(JSON.stringify(toChatCompletion(result.response, result.model, id, created)));
      } catch (failure) {
        const error = isGeminiError(failure) ? failure : classify(failure);
        const { status, body } = openAiErrorFor(error);
        return sendError(reply, status, body, {
          'x-gemwarden-model': error.model ?? model,
          'x-gemwarden-attempts': String(error.attempts.length),
          'x-gemwarden-kind': error.kind,
        });
      }
    }

    const stream = client.generateContentStream(model, geminiRequest, { signal });
    try {
      await stream.start();
    } catch (failure) {
      const error = isGeminiError(failure) ? failure : classify(failure);
      const { status, body } = openAiErrorFor(error);
      return sendError(reply, status, body, {
        'x-gemwarden-model': error.model ?? model,
        'x-gemwarden-attempts': String(error.attempts.length),
        'x-gemwarden-kind': error.kind,
      });
    }
    const answeredBy = stream.model ?? model;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-gemwarden-model': answeredBy,
      'x-gemwarden-attempts': String(stream.attempts.length),
    });
    const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
    let first = true;
    let usage;
    try {
      for await (const chunk of stream) {
        if (chunk.usageMetadata) usage = usageOf(chunk);
        if (!(await writeWithBackpressure(reply.raw, event(toChatChunk(chunk, answeredBy, id, created, first)))))
          return reply;
        first = false;
      }
      if (chat.stream_options?.include_usage && usage) {
        await writeWithBackpressure(
          reply.raw,
          event({ id, object: 'chat.completion.chunk', created, model: answeredBy, choices: [], usage }),
        );
      }
    } catch (failure) {
      const error = isGeminiError(failure) ? failure : classify(failure);
      await writeWithBackpressure(reply.raw, event(openAiErrorFor(error).body));
    }
    await writeWithBackpressure(reply.raw, 'data: [DONE]\n\n');
    reply.raw.end();
    return reply;
  });
}
