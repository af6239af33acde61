// OpenAI-compatible routes: POST /v1/chat/completions (stream and not), translated to Gemini and
// answered through the resilient client. GET /v1/models is served by the Gemini routes in a form
// both SDKs read. This file is the HTTP shell; the translation lives in openai-translate.ts and
// ./openai/ (responses, signatures, Gemini-only options).
import { randomUUID } from 'node:crypto';
import {
  headerSafe,
  parseStreamRepairMode,
  retryAfterSeconds,
  STREAM_REPAIR_HEADER,
  type GeminiStream,
} from '../client/index.js';
import type { StreamRepairMode } from '../pipeline/stream-repair/index.js';
import { toGeminiError, type GeminiError } from '../errors/index.js';
import { realClock } from '../time/index.js';
import type { GatewayContext } from './context.js';
import { modelNameProblem } from './model-name.js';
import { rendersAsFinish } from './openai/answer-finding.js';
import { ChatStreamTranslator, toChatCompletion, type RenderOptions } from './openai/responses.js';
import { SignatureMemory } from './openai/signature-memory.js';
import { openAiError, openAiErrorFor } from './openai-errors.js';
import {
  answerOptionsFor,
  chatRequestSchema,
  geminiModelName,
  toGeminiRequest,
  TranslationError,
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

/** A failure in OpenAI's error shape; `Retry-After` (seconds) when the delay is known. */
export function openAiFailureResponse(failure: unknown, model: string): Response {
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

/** A request error found before any upstream call, as OpenAI's 400. */
function invalidRequest(message: string, code: string, param: string | null = null): Response {
  return jsonResponse(400, openAiError(message, 'invalid_request_error', code, param));
}

/** What a chat stream reports to the gateway besides its chunks. */
interface ChatStreamHooks {
  /** A failure after the first chunk (the status was already 200). */
  streamFailed(error: GeminiError): void;
  /** A finding (block, cut) that showed after the headers went out; it is rendered as a finish_reason. */
  lateFinding(finding: GeminiError): void;
}

/**
 * The SSE body of a chat stream: OpenAI chunks, a usage chunk when asked, then `[DONE]`. Chunks with
 * a block or a cut pass to the translator as Gemini sent them (their finish_reason says it); a
 * finding that cannot be a finish_reason ends the stream with an error event, as a break does.
 */
function chatEventStream(
  stream: GeminiStream,
  translator: ChatStreamTranslator,
  model: string,
  includeUsage: boolean,
  hooks: ChatStreamHooks,
): ReadableStream<Uint8Array> {
  const chunks = stream[Symbol.asyncIterator]();
  const known = stream.finding;
  const encoder = new TextEncoder();
  const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
  let finished = false;
  let counted = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      try {
        for (;;) {
          const next = await chunks.next();
          if (next.done) break;
          const finding = stream.finding;
          if (finding && finding !== known && !rendersAsFinish(finding)) throw finding;
          if (finding && finding !== known && !counted) {
            counted = true;
            hooks.lateFinding(finding);
          }
          const chunk = translator.chunk(next.value, model);
          // Chunks with nothing for a choice (usage only) are not sent: clients read choices[0].
          if (chunk) {
            controller.enqueue(event(chunk));
            return;
          }
        }
      } catch (failure) {
        const error = toGeminiError(failure, { model });
        hooks.streamFailed(error);
        controller.enqueue(event(openAiErrorFor(error).body));
        await chunks.return?.(undefined);
      }
      const usage = includeUsage ? translator.usageChunk(model) : undefined;
      if (usage) controller.enqueue(event(usage));
      finished = true;
      controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      controller.close();
    },
    async cancel() {
      await chunks.return?.(undefined);
      await stream.cancel();
    },
  });
}

/** POST /v1/chat/completions as a Fetch handler. */
export function createChatCompletionsHandler({
  client,
  metrics,
  bodyLimitBytes,
  streamFailed,
}: GatewayContext): FetchHandler {
  // Signatures of the tool calls this gateway returned, restored when a client does not echo them.
  const signatures = new SignatureMemory();
  return async (request) => {
    const read = await readBodyText(request, bodyLimitBytes);
    if ('status' in read)
      return jsonResponse(read.status, openAiError(read.message, 'invalid_request_error', 'invalid_request'));
    const parsed = parseJsonBody(read.text);
    if ('error' in parsed) return invalidRequest(parsed.error, 'invalid_json');
    const checked = chatRequestSchema.safeParse(parsed.value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const param = issue.path.map(String).join('.') || null;
      return invalidRequest(`${param ?? 'request'}: ${issue.message}`, 'invalid_request', param);
    }
    const chat = checked.data;
    let geminiRequest;
    let render: RenderOptions;
    try {
      geminiRequest = toGeminiRequest(chat, { signatures });
      render = { answer: answerOptionsFor(chat), signatures };
    } catch (error) {
      if (error instanceof TranslationError) return invalidRequest(error.message, 'unsupported', error.param ?? null);
      throw error;
    }
    const model = geminiModelName(chat.model);
    if (modelNameProblem(model, 'ChatCompletionRequest'))
      return invalidRequest(`model: ${JSON.stringify(chat.model)} is not a model name`, 'invalid_model', 'model');
    const signal = request.signal;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(realClock.now() / 1000);

    const repairHeader = request.headers.get(STREAM_REPAIR_HEADER);
    let streamRepair: StreamRepairMode | undefined;
    try {
      streamRepair = parseStreamRepairMode(repairHeader);
    } catch (problem) {
      return invalidRequest(`${STREAM_REPAIR_HEADER}: ${(problem as Error).message}`, 'invalid_request');
    }
    // A 200 stays a 200: blocks and cuts come back as results with a finding (see answer-finding.ts).
    const callOptions = { signal, answerChecks: 'report' as const, ...(streamRepair ? { streamRepair } : {}) };

    if (!chat.stream) {
      try {
        const result = await client.generateContent(model, geminiRequest, callOptions);
        if (result.finding && !rendersAsFinish(result.finding)) return openAiFailureResponse(result.finding, model);
        return jsonResponse(200, toChatCompletion(result.response, result.model, id, created, render), {
          'x-gemwarden-model': headerSafe(result.model),
          'x-gemwarden-attempts': String(result.attempts.length),
          ...(result.finding ? { 'x-gemwarden-kind': result.finding.kind } : {}),
        });
      } catch (failure) {
        return openAiFailureResponse(failure, model);
      }
    }

    const translator = new ChatStreamTranslator(id, created, render);
    const includeUsage = chat.stream_options?.include_usage === true;
    const stream = client.generateContentStream(model, geminiRequest, callOptions);
    try {
      await stream.start();
    } catch (failure) {
      return openAiFailureResponse(failure, model);
    }
    if (stream.finding && !rendersAsFinish(stream.finding)) {
      await stream.cancel();
      return openAiFailureResponse(stream.finding, model);
    }
    const answeredBy = stream.model ?? model;
    const hooks: ChatStreamHooks = {
      streamFailed,
      // A finding known before answering is counted by the pipeline (request-failed); a late one here.
      lateFinding: (finding) => metrics.failures.inc({ kind: finding.kind }),
    };
    return new Response(chatEventStream(stream, translator, answeredBy, includeUsage, hooks), {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-gemwarden-model': headerSafe(answeredBy),
        'x-gemwarden-attempts': String(stream.attempts.length),
        ...(stream.finding ? { 'x-gemwarden-kind': stream.finding.kind } : {}),
        [STREAM_REPAIR_HEADER]: streamRepair ?? client.streamRepairMode,
      },
    });
  };
}
