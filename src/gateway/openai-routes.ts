// OpenAI-compatible routes: POST /v1/chat/completions (stream and not), translated to Gemini and
// answered through the resilient client. GET /v1/models is served by the Gemini routes in a form
// both SDKs read. This file is the HTTP shell; the translation lives in openai-translate.ts.
import { randomUUID } from 'node:crypto';
import { headerSafe, retryAfterSeconds } from '../client/index.js';
import { toGeminiError } from '../errors/index.js';
import { realClock } from '../time/index.js';
import type { GatewayContext } from './context.js';
import { modelNameProblem } from './model-name.js';
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
import { readBodyText, parseJsonBody } from './request-body.js';
import type { FetchHandler } from './router.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': JSON_TYPE, 'x-gemwarden-attempts': '0', ...headers },
  });
}

function failureResponse(failure: unknown, model: string): Response {
  const error = toGeminiError(failure, { model });
  const { status, body } = openAiErrorFor(error);
  const retryAfter = retryAfterSeconds(status, error);
  return jsonResponse(status, body, {
    'x-gemwarden-model': headerSafe(error.model ?? model),
    'x-gemwarden-attempts': String(error.attempts.length),
    'x-gemwarden-kind': error.kind,
    ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
  });
}

/** POST /v1/chat/completions as a Fetch handler. */
export function createChatCompletionsHandler({ client, bodyLimitBytes, streamFailed }: GatewayContext): FetchHandler {
  return async (request) => {
    const read = await readBodyText(request, bodyLimitBytes);
    if ('status' in read)
      return jsonResponse(read.status, openAiError(read.message, 'invalid_request_error', 'invalid_request'));
    const parsed = parseJsonBody(read.text);
    if ('error' in parsed) return jsonResponse(400, openAiError(parsed.error, 'invalid_request_error', 'invalid_json'));
    const checked = chatRequestSchema.safeParse(parsed.value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const param = issue.path.map(String).join('.') || null;
      return jsonResponse(
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
        return jsonResponse(
          400,
          openAiError(error.message, 'invalid_request_error', 'unsupported', error.param ?? null),
        );
      throw error;
    }
    const model = geminiModelName(chat.model);
    const badName = modelNameProblem(model, 'ChatCompletionRequest');
    if (badName)
      return jsonResponse(
        400,
        openAiError(
          `model: ${JSON.stringify(chat.model)} is not a model name`,
          'invalid_request_error',
          'invalid_model',
          'model',
        ),
      );
    const signal = request.signal;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(realClock.now() / 1000);

    if (!chat.stream) {
      try {
        const result = await client.generateContent(model, geminiRequest, { signal });
        return jsonResponse(200, toChatCompletion(result.response, result.model, id, created), {
          'x-gemwarden-model': headerSafe(result.model),
          'x-gemwarden-attempts': String(result.attempts.length),
        });
      } catch (failure) {
        return failureResponse(failure, model);
      }
    }

    const stream = client.generateContentStream(model, geminiRequest, { signal });
    try {
      await stream.start();
    } catch (failure) {
      return failureResponse(failure, model);
    }
    const answeredBy = stream.model ?? model;
    const iterator = stream[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
    let first = true;
    let usage: ReturnType<typeof usageOf> | undefined;
    let finished = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (finished) return;
        try {
          const next = await iterator.next();
          if (!next.done) {
            if (next.value.usageMetadata) usage = usageOf(next.value);
            controller.enqueue(event(toChatChunk(next.value, answeredBy, id, created, first)));
            first = false;
            return;
          }
          if (chat.stream_options?.include_usage && usage)
            controller.enqueue(
              event({ id, object: 'chat.completion.chunk', created, model: answeredBy, choices: [], usage }),
            );
        } catch (failure) {
          const error = toGeminiError(failure, { model: answeredBy });
          streamFailed(error);
          controller.enqueue(event(openAiErrorFor(error).body));
        }
        finished = true;
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      },
      async cancel() {
        await iterator.return?.(undefined);
      },
    });
    return new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-gemwarden-model': headerSafe(answeredBy),
        'x-gemwarden-attempts': String(stream.attempts.length),
      },
    });
  };
}
