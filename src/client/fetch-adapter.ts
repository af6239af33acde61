// A fetch that gives SDKs gemwarden's behaviour: calls to Gemini's generateContent,
// streamGenerateContent, countTokens and models routes run through a GeminiClient (its key pool,
// fallbacks and remedies); anything else passes through unchanged.
import { isGeminiError, classify } from '../errors/index.js';
import { encodeSseEvent, JsonArrayStreamWriter, parseGeminiPath, type GenerateContentRequest } from '../wire/index.js';
import type { FetchLike } from '../transport/http-transport.js';
import type { GeminiClient } from './create-client.js';
import { geminiErrorBody, httpStatusFor } from './error-response.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };

function errorResponse(failure: unknown): Response {
  const error = isGeminiError(failure) ? failure : classify(failure);
  return new Response(`${JSON.stringify(geminiErrorBody(error), null, 2)}\n`, {
    status: httpStatusFor(error),
    headers: { ...JSON_HEADERS, 'x-gemwarden-kind': error.kind, 'x-gemwarden-attempts': String(error.attempts.length) },
  });
}

async function bodyText(input: string | URL | Request, init?: RequestInit): Promise<string> {
  if (init?.body !== undefined && init.body !== null)
    return typeof init.body === 'string' ? init.body : await new Response(init.body).text();
  return input instanceof Request ? input.text() : '';
}

export function createGeminiFetch(client: GeminiClient, options: { passthrough?: FetchLike } = {}): FetchLike {
  const passthrough = options.passthrough ?? ((input, init) => fetch(input, init));
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const route = parseGeminiPath(url.pathname);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    const callOptions = signal ? { signal } : {};
    if (!route) return passthrough(input, init);
    try {
      if (route.kind === 'list-models') {
        return new Response(JSON.stringify({ models: await client.listModels(callOptions) }), {
          headers: JSON_HEADERS,
        });
      }
      if (route.kind === 'get-model') return passthrough(input, init);
      let request: GenerateContentRequest;
      try {
        request = JSON.parse(await bodyText(input, init)) as GenerateContentRequest;
      } catch {
        return passthrough(input, init);
      }
      if (route.method === 'generateContent') {
        const result = await client.generateContent(route.model, request, callOptions);
        return new Response(JSON.stringify(result.response), {
          headers: {
            ...JSON_HEADERS,
            'x-gemwarden-model': result.model,
            'x-gemwarden-attempts': String(result.attempts.length),
          },
        });
      }
      if (route.method === 'countTokens') {
        return new Response(JSON.stringify(await client.countTokens(route.model, request, callOptions)), {
          headers: JSON_HEADERS,
        });
      }
      if (route.method === 'streamGenerateContent') {
        const sse = url.searchParams.get('alt') === 'sse';
        const stream = client.generateContentStream(route.model, request, callOptions);
        await stream.start();
        const iterator = stream[Symbol.asyncIterator]();
        const writer = new JsonArrayStreamWriter();
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const next = await iterator.next();
              if (next.done) {
                if (!sse) controller.enqueue(encoder.encode(writer.close()));
                controller.close();
                return;
              }
              controller.enqueue(encoder.encode(sse ? encodeSseEvent(next.value) : writer.element(next.value)));
            } catch (failure) {
              // After the first chunk, a failure is written the way Gemini writes one: a raw error object.
              const error = isGeminiError(failure) ? failure : classify(failure);
              const raw = JSON.stringify(geminiErrorBody(error), null, 2);
              controller.enqueue(
                encoder.encode(sse ? `${raw}\n` : `${writer.element(JSON.parse(raw))}${writer.close()}`),
              );
              controller.close();
            }
          },
          async cancel() {
            await iterator.return?.(undefined);
          },
        });
        return new Response(body, {
          headers: {
            'content-type': sse ? 'text/event-stream' : JSON_HEADERS['content-type'],
            'x-gemwarden-model': stream.model ?? route.model,
            'x-gemwarden-attempts': String(stream.attempts.length),
          },
        });
      }
      return passthrough(input, init);
    } catch (failure) {
      return errorResponse(failure);
    }
  };
}
