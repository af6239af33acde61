// Gemini-native calls answered through a GeminiClient as Fetch `Response`s. One code path serves two
// users: `createGeminiFetch` (a fetch for SDKs, in process) and the gateway's Gemini route (over
// HTTP). Both write answers, streams and errors exactly as the Gemini API does, with gemwarden's
// `x-gemwarden-*` headers added.
import { STREAM_REPAIR_HEADER } from './repairing-stream.js';
import type { StreamRepairMode } from '../pipeline/stream-repair/index.js';
import { toGeminiError, type GeminiError } from '../errors/index.js';
import {
  encodeSseError,
  encodeSseEvent,
  JsonArrayStreamWriter,
  parseGeminiPath,
  type ApiVersion,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type ModelMethod,
} from '../wire/index.js';
import type { FetchLike } from '../transport/http-transport.js';
import type { GeminiClient } from './create-client.js';
import { geminiErrorBody, httpStatusFor } from './error-response.js';
import type { CallOptions } from './options.js';

/**
 * `value` made safe for an HTTP header: characters a header cannot carry (controls, CR/LF, NUL and
 * anything above U+00FF) are percent-encoded, so no name from a request or config can break an answer.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e\xa0-\xff]/gu, (char) =>
    [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** Content type of Gemini's JSON answers. */
export const GEMINI_JSON_TYPE = 'application/json; charset=UTF-8';

/** The model methods answered through the client (the others are not modelled by it). */
export const CLIENT_METHODS: ReadonlySet<string> = new Set<ModelMethod>([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
]);

/**
 * One answer of a Gemini model call, before any HTTP framework sees it: the status, the headers
 * (lower-case names) and either the whole body as text or its pieces as they are made. The Fetch
 * edge wraps it in a `Response` (`toFetchResponse`); the gateway's Node edge writes it straight to
 * the socket, so both edges send the same bytes.
 */
export interface GeminiAnswer {
  status: number;
  headers: Record<string, string>;
  /** The whole body (JSON text), or a stream's pieces. */
  body: string | AnswerPieces;
}

/** A streamed answer body, pulled one piece at a time (the reader's pace is the upstream's pace). */
export interface AnswerPieces {
  /** The next piece of text to send, or undefined once the body is complete. Never rejects. */
  next(): Promise<string | undefined>;
  /** The reader went away: ends the upstream stream and frees its connection. */
  cancel(): Promise<void>;
}

/** `answer` as a Fetch `Response` (a stream's pieces become a pull-based ReadableStream of UTF-8 bytes). */
export function toFetchResponse(answer: GeminiAnswer): Response {
  const { status, headers, body } = answer;
  if (typeof body === 'string') return new Response(body, { status, headers });
  const encoder = new TextEncoder();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = await body.next();
      if (piece === undefined) controller.close();
      else controller.enqueue(encoder.encode(piece));
    },
    cancel: () => body.cancel(),
  });
  return new Response(readable, { status, headers });
}

/**
 * A failure as Gemini's error answer: the upstream's envelope (or one built from the error) with
 * gemwarden's explanation in `error.gemwarden`, and `x-gemwarden-kind`/`-attempts`/`-model` headers.
 */
export function geminiErrorAnswer(failure: unknown, requestedModel?: string): GeminiAnswer {
  const error = toGeminiError(failure);
  const headers: Record<string, string> = {
    'content-type': GEMINI_JSON_TYPE,
    'x-gemwarden-kind': error.kind,
    'x-gemwarden-attempts': String(error.attempts.length),
  };
  const model = error.model ?? requestedModel;
  if (model) headers['x-gemwarden-model'] = headerSafe(model);
  const status = httpStatusFor(error);
  const retryAfter = retryAfterSeconds(status, error);
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  return { status, headers, body: `${JSON.stringify(geminiErrorBody(error), null, 2)}\n` };
}

/** `geminiErrorAnswer` as a Fetch `Response`. */
export function geminiErrorResponse(failure: unknown, requestedModel?: string): Response {
  return toFetchResponse(geminiErrorAnswer(failure, requestedModel));
}

/**
 * The `Retry-After` value (whole seconds, rounded up) for an answer with `status`: on 429 and 503
 * when the failure carries a known delay (RetryInfo, a per-day reset, a rest gemwarden imposed),
 * else undefined. HTTP clients and SDKs that read the header then wait the right time.
 */
export function retryAfterSeconds(status: number, error: GeminiError): string | undefined {
  if ((status !== 429 && status !== 503) || error.retryAfterMs === undefined) return undefined;
  return String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
}

/** How one model call is answered. */
export interface GeminiCallOptions {
  /** For streamGenerateContent: Server-Sent Events (`alt=sse`) rather than Gemini's JSON array. */
  sse?: boolean;
  /** Aborts the upstream call (e.g. the client went away). */
  signal?: AbortSignal;
  /** Mid-stream repair for this call (else the client's setting). */
  streamRepair?: StreamRepairMode;
  /** The API version the caller used (`/v1/…`, `/v1beta/…`): the version sent upstream. Else the client's. */
  apiVersion?: ApiVersion;
  /**
   * Called when a stream fails after its first chunk (the answer is already a 200, so the failure
   * is written into the body): lets a server count what its status codes cannot show.
   */
  onStreamFailure?: (error: GeminiError) => void;
  /**
   * Called when a stream's finding (blocked, truncated, …) shows only after the answer's headers
   * went out, so that `x-gemwarden-kind` could not name it: lets a server count it.
   */
  onLateFinding?: (finding: GeminiError) => void;
  /**
   * The JSON text `body` was parsed from, as the caller sent it: generateContent and
   * streamGenerateContent send it upstream byte for byte while the request goes unchanged (see
   * `CallOptions.requestText`).
   */
  requestText?: string;
}

/** What gemwarden adds to a chunk it passes on: SDKs ignore members they do not know. */
export interface ChunkNote {
  /** What gemwarden found wrong with the answer (as `x-gemwarden-kind` would name it). */
  kind?: string;
  [member: string]: unknown;
}

/** `chunk` with `kind` added to its `gemwarden` vendor member (other members, such as streamRepair, kept). */
function withFindingNote(chunk: GenerateContentResponse & { gemwarden?: ChunkNote }, finding: GeminiError) {
  return { ...chunk, gemwarden: { ...chunk.gemwarden, kind: finding.kind } };
}

/**
 * Answers one Gemini model method (`generateContent`, `streamGenerateContent`, `countTokens`)
 * through the client, as the Gemini API would answer it. Calls use `answerChecks: 'report'`: an
 * answer with a block reason, any finishReason or no text stays the 200 Gemini sent (the client's
 * opt-in remedies, fallbackOnBlocked and retryUnusableAnswers, may act first), with
 * `x-gemwarden-kind` naming what gemwarden saw. Streams do the same: every chunk as Gemini sent
 * it; a finding known only after the headers went out is named in the `gemwarden.kind` vendor
 * member of the stream's last chunk. Failures before the first byte become Gemini's error answer;
 * a stream that fails after its first chunk ends with the error object written the way Gemini
 * writes one mid-stream (a raw envelope, or the last element of the array). The call goes upstream
 * with the caller's API version (`options.apiVersion`). Never throws.
 */
export async function answerGeminiCall(
  client: GeminiClient,
  model: string,
  method: string,
  body: GenerateContentRequest & { generateContentRequest?: GenerateContentRequest },
  options: GeminiCallOptions = {},
): Promise<Response> {
  return toFetchResponse(await geminiCallAnswer(client, model, method, body, options));
}

/** `answerGeminiCall` before it becomes a `Response`: the same answer as a `GeminiAnswer`. Never throws. */
export async function geminiCallAnswer(
  client: GeminiClient,
  model: string,
  method: string,
  body: GenerateContentRequest & { generateContentRequest?: GenerateContentRequest },
  options: GeminiCallOptions = {},
): Promise<GeminiAnswer> {
  const callOptions: CallOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
  };
  try {
    if (method === 'generateContent') {
      // A 200 stays a 200: an answer with a block reason or any finishReason goes out as Gemini
      // sent it (usage included), with what gemwarden saw named in x-gemwarden-kind.
      const result = await client.generateContent(model, body, {
        ...callOptions,
        answerChecks: 'report',
        ...(options.requestText !== undefined ? { requestText: options.requestText } : {}),
      });
      return {
        status: 200,
        // Gemini's own text when the client has it: nothing to serialise, nothing lost.
        body: result.responseText ?? JSON.stringify(result.response),
        headers: {
          'content-type': GEMINI_JSON_TYPE,
          'x-gemwarden-model': headerSafe(result.model),
          'x-gemwarden-attempts': String(result.attempts.length),
          ...(result.finding ? { 'x-gemwarden-kind': result.finding.kind } : {}),
        },
      };
    }
    if (method === 'countTokens') {
      const counted = await client.countTokens(model, body.generateContentRequest ?? body, callOptions);
      return {
        status: 200,
        body: JSON.stringify(counted),
        headers: {
          'content-type': GEMINI_JSON_TYPE,
          'x-gemwarden-model': headerSafe(model),
          'x-gemwarden-attempts': '1',
        },
      };
    }
    if (method === 'streamGenerateContent') return await answerStream(client, model, body, callOptions, options);
  } catch (failure) {
    return geminiErrorAnswer(failure, model);
  }
  throw new TypeError(`answerGeminiCall: ${method} is not answered through the client`);
}

async function answerStream(
  client: GeminiClient,
  model: string,
  body: GenerateContentRequest,
  callOptions: CallOptions,
  options: GeminiCallOptions,
): Promise<GeminiAnswer> {
  const sse = options.sse === true;
  const stream = client.generateContentStream(model, body, {
    ...callOptions,
    // A 200 stays a 200 here too: blocked or cut streams reach the caller as Gemini sent them.
    answerChecks: 'report',
    ...(options.streamRepair ? { streamRepair: options.streamRepair } : {}),
    ...(options.requestText !== undefined ? { requestText: options.requestText } : {}),
  });
  const repair = options.streamRepair ?? client.streamRepairMode;
  await stream.start();
  const early = stream.finding;
  const iterator = stream[Symbol.asyncIterator]();
  const writer = new JsonArrayStreamWriter();
  const encode = (chunk: unknown) => (sse ? encodeSseEvent(chunk) : writer.element(chunk));
  // A finding that shows after the headers went out is told on the last chunk: from the chunk that
  // shows it on, each chunk is held until the next one arrives (or the body ends).
  let late: GeminiError | undefined;
  let held: GenerateContentResponse | undefined;
  let ended = false;
  const pieces: AnswerPieces = {
    async next() {
      if (ended) return undefined;
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            ended = true;
            const last = held ? encode(withFindingNote(held, late!)) : '';
            return sse ? last || undefined : `${last}${writer.close()}`;
          }
          if (!early && !late && stream.finding) {
            late = stream.finding;
            options.onLateFinding?.(late);
          }
          if (!late) return encode(next.value);
          const previous = held;
          held = next.value;
          if (previous) return encode(previous);
        }
      } catch (failure) {
        ended = true;
        const last = held ? encode(withFindingNote(held, late!)) : '';
        held = undefined;
        const error = toGeminiError(failure, { model });
        options.onStreamFailure?.(error);
        const envelope = geminiErrorBody(error);
        return `${last}${sse ? encodeSseError(envelope) : `${writer.element(envelope)}${writer.close()}`}`;
      }
    },
    async cancel() {
      // The reader went away: end the upstream stream (and free its connection) now.
      ended = true;
      await iterator.return?.(undefined);
      await stream.cancel();
    },
  };
  return {
    status: 200,
    body: pieces,
    headers: {
      'content-type': sse ? 'text/event-stream' : GEMINI_JSON_TYPE,
      'cache-control': 'no-cache',
      'x-gemwarden-model': headerSafe(stream.model ?? model),
      'x-gemwarden-attempts': String(stream.attempts.length),
      // What gemwarden saw before answering; a later finding goes in the last chunk's `gemwarden.kind`.
      ...(early ? { 'x-gemwarden-kind': early.kind } : {}),
      // What this stream does if it breaks after its first chunk; a repair is also told in a
      // `gemwarden` member of the first chunk after the splice.
      [STREAM_REPAIR_HEADER]: repair,
    },
  };
}

/**
 * A fetch that gives SDKs gemwarden's behaviour: calls to Gemini's generateContent,
 * streamGenerateContent, countTokens and list-models routes run through `client` (its key pool,
 * fallbacks and remedies); anything else, and bodies that are not JSON, go to `passthrough`
 * (global fetch by default) unchanged.
 */
export function createGeminiFetch(client: GeminiClient, options: { passthrough?: FetchLike } = {}): FetchLike {
  const passthrough = options.passthrough ?? ((input, init) => fetch(input, init));
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const route = parseGeminiPath(url.pathname);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    if (route?.kind === 'list-models') {
      try {
        const models = await client.listModels(signal ? { signal } : {});
        return new Response(JSON.stringify({ models }), { headers: { 'content-type': GEMINI_JSON_TYPE } });
      } catch (failure) {
        return geminiErrorResponse(failure);
      }
    }
    if (route?.kind !== 'method' || !CLIENT_METHODS.has(route.method)) return passthrough(input, init);
    let body: GenerateContentRequest;
    let requestText: string;
    try {
      // Read from a copy so that a body we cannot parse still reaches the passthrough intact.
      requestText = await new Request(input, init).text();
      body = JSON.parse(requestText) as GenerateContentRequest;
    } catch {
      return passthrough(input, init);
    }
    return answerGeminiCall(client, route.model, route.method, body, {
      requestText,
      sse: url.searchParams.get('alt') === 'sse',
      apiVersion: route.version,
      ...(signal ? { signal } : {}),
    });
  };
}
