// The gateway's Node edge for plain model calls. A POST to /{version}/models/{model}:generateContent,
// :streamGenerateContent or :countTokens is by far the commonest request, and turning it into a Fetch
// `Request` and its answer back from a `Response` (headers objects, web streams, abort signals)
// cost more CPU than everything gemwarden does for the call. This edge recognises such a request
// from its method and path alone, reads the body straight from the IncomingMessage and writes the
// answer straight to the ServerResponse. It is not a second gateway: the answer comes from the same
// `modelCallAnswerer` as the Fetch route (gemini-routes.ts), and auth, metrics and the log line are
// the server's own (`RequestRecorder`). Whatever it does not recognise stays on the Fetch handler:
// other paths, percent-encoded or unusual paths and hosts, requests with an Origin when CORS is
// configured, and a call whose body cites a file or a cache (handed to the pass-through with the
// body already read, so it is read once).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STREAM_REPAIR_HEADER, type AnswerPieces, type GeminiAnswer } from '../client/index.js';
import type { Clock } from '../time/index.js';
import { authenticate, presentedToken, type ClientToken } from './auth.js';
import { geminiErrorText, rejection } from './context.js';
import type { ModelCall } from './gemini-routes.js';
import { resourcesInBody } from './passthrough/resource-names.js';
import type { BodyResult } from './request-body.js';

/**
 * The plain model-call paths this edge takes: the Gemini API's versions, a model name of the
 * characters model ids use (no percent-encoding, no slash, so the raw path equals the decoded one
 * the Fetch route would see) and a method answered through the client.
 */
const PLAIN_MODEL_CALL =
  /^\/(v1|v1beta|v1alpha)\/models\/([A-Za-z0-9][A-Za-z0-9._-]*):(generateContent|streamGenerateContent|countTokens)$/;

/** A Host header a URL can be made from (anything else goes to the Fetch edge, which refuses it in the envelope). */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** Most bytes of an unread body drained after an early answer (a 413) before the socket is closed. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
/** Longest wait for an unread body to end after an early answer, ms. */
const DRAIN_TIMEOUT_MS = 500;

/** What the server records of one answered request (metrics and the log line). */
export interface AnsweredRequest {
  /** The route's name for metrics ("gemini", "openai", "ops", …). */
  route: string;
  method: string;
  /** The path as requested. */
  pathname: string;
  /** The query as requested, without `?` (empty when none). */
  search: string;
  status: number;
  /** The answer's headers (lower-case names): model, kind and attempts are read from them. */
  headers: Readonly<Record<string, string>>;
  clientName?: string;
  /** When the request arrived, epoch ms. */
  started: number;
  /** Whether the whole answer was written (false: the client left, or the stream was cut). */
  completed: boolean;
}

/** Records one answered request: the server's metrics and its one log line. */
export type RequestRecorder = (answered: AnsweredRequest) => void;

export interface ModelCallEdgeOptions {
  /** The same answer the Fetch route gives (gemini-routes.ts `modelCallAnswerer`). */
  answer: (call: ModelCall) => Promise<GeminiAnswer>;
  /** Client tokens; empty: no auth. */
  tokens: readonly ClientToken[];
  bodyLimitBytes: number;
  /** True when CORS origins are configured: requests with an Origin header then stay on the Fetch edge. */
  cors: boolean;
  record: RequestRecorder;
  /** Called with a thrown failure's message (already a 500 to the client). */
  onUnexpected: (failure: unknown) => void;
  clock: Clock;
}

/**
 * The edge: called with each request before the Fetch listener. Returns false (synchronously, having
 * touched nothing) for a request it does not take. Otherwise it answers the request itself, or, for a
 * call that cites a file or a cache, calls `fallback` with the body it read.
 */
export type NodeEdge = (
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  fallback: (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) => void,
) => boolean;

export function createModelCallEdge(options: ModelCallEdgeOptions): NodeEdge {
  const { tokens, bodyLimitBytes, clock } = options;
  const tooLarge = `Request payload size exceeds the limit: ${bodyLimitBytes} bytes.`;

  async function serve(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    fallback: (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) => void,
    target: { pathname: string; search: string; version: string; model: string; method: string },
  ): Promise<void> {
    const started = clock.now();
    const { pathname, search } = target;
    let clientName: string | undefined;
    let answer: GeminiAnswer;
    try {
      if (tokens.length > 0) {
        clientName = authenticate(tokens, presentedToken(nodeHeaders(incoming), new URLSearchParams(search)))?.name;
        if (clientName === undefined) {
          answer = rejection(
            pathname,
            401,
            'A valid gemwarden client token is required (Authorization: Bearer TOKEN or x-goog-api-key: TOKEN).',
            'unauthenticated',
          );
          return await send(incoming, outgoing, answer, { pathname, search, started });
        }
      }
      const read = await readNodeBody(incoming, bodyLimitBytes, tooLarge);
      let parsedBefore: unknown;
      let body: BodyResult;
      if ('bytes' in read) {
        const text = read.bytes.toString('utf8');
        try {
          parsedBefore = JSON.parse(text) as unknown;
        } catch {
          parsedBefore = undefined; // the answerer words the 400
        }
        // A call citing a file or a cache goes to its owner's project: the pass-through's business.
        if (parsedBefore !== undefined && resourcesInBody(parsedBefore).length > 0)
          return fallback(incoming, outgoing, read.bytes);
        body = { text };
      } else body = read;
      const abort = new AbortController();
      outgoing.once('close', () => {
        if (incoming.errored) abort.abort(incoming.errored);
        else if (!outgoing.writableFinished) abort.abort(new Error('The client closed the connection.'));
      });
      answer = await options.answer({
        path: pathname,
        route: { version: target.version as ModelCall['route']['version'], model: target.model, method: target.method },
        sse: search !== '' && new URLSearchParams(search).get('alt') === 'sse',
        streamRepair: headerValue(incoming, STREAM_REPAIR_HEADER),
        read: body,
        ...(parsedBefore !== undefined ? { parsedBefore } : {}),
        signal: abort.signal,
      });
    } catch (failure) {
      options.onUnexpected(failure);
      answer = {
        status: 500,
        headers: { 'content-type': 'application/json; charset=UTF-8', 'x-gemwarden-attempts': '0' },
        body: geminiErrorText(500, 'Internal error in the gateway.'),
      };
    }
    await send(incoming, outgoing, answer, { pathname, search, started, ...(clientName ? { clientName } : {}) });
  }

  /** Writes `answer`, then records the request once the answer has ended (a stream included). */
  async function send(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    answer: GeminiAnswer,
    about: { pathname: string; search: string; started: number; clientName?: string },
  ): Promise<void> {
    outgoing.once('close', () =>
      options.record({
        route: 'gemini',
        method: 'POST',
        ...about,
        status: answer.status,
        headers: answer.headers,
        completed: outgoing.writableFinished,
      }),
    );
    if (!incoming.complete) outgoing.once('finish', () => drainUnread(incoming, clock));
    await writeAnswer(outgoing, answer);
  }

  return (incoming, outgoing, fallback) => {
    if (incoming.method !== 'POST') return false;
    const url = incoming.url ?? '';
    const mark = url.indexOf('?');
    const pathname = mark < 0 ? url : url.slice(0, mark);
    const match = PLAIN_MODEL_CALL.exec(pathname);
    if (!match) return false;
    const search = mark < 0 ? '' : url.slice(mark + 1);
    if (search.includes('#')) return false;
    if (options.cors && incoming.headers.origin !== undefined) return false;
    if (!PLAIN_HOST.test(incoming.headers.host ?? '')) return false;
    void serve(incoming, outgoing, fallback, {
      pathname,
      search,
      version: match[1]!,
      model: match[2]!,
      method: match[3]!,
    });
    return true;
  };
}

/** One request header as Fetch's `Headers.get` gives it (repeated values joined by ", "), or null. */
function headerValue(incoming: IncomingMessage, name: string): string | null {
  const value = incoming.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request's headers behind the `get` that `presentedToken` reads. */
function nodeHeaders(incoming: IncomingMessage): Pick<Headers, 'get'> {
  return { get: (name: string) => headerValue(incoming, name.toLowerCase()) };
}

/**
 * Reads the whole body within `limitBytes`: refused (413) by its declared Content-Length before
 * reading anything, else as soon as the bytes read pass the limit (reading stops; the rest is
 * drained after the answer). A body cut short by the client is a 400, as on the Fetch edge.
 */
function readNodeBody(
  incoming: IncomingMessage,
  limitBytes: number,
  tooLarge: string,
): Promise<{ bytes: Buffer } | { status: 413 | 400; message: string }> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.resolve({ status: 413, message: tooLarge });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onBroken);
      incoming.off('close', onBroken);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limitBytes) {
        stop();
        incoming.pause();
        resolve({ status: 413, message: tooLarge });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve({ bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onBroken = () => {
      stop();
      resolve({ status: 400, message: 'The request body could not be read to its end.' });
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onBroken);
    incoming.on('close', onBroken);
  });
}

/**
 * After an early answer (a 413 before the body was read), reads and drops the rest of the body so
 * the client gets the answer and the connection can be reused; a body that goes on too long or
 * stalls has its socket closed.
 */
function drainUnread(incoming: IncomingMessage, clock: Clock): void {
  if (incoming.complete || incoming.destroyed) return;
  let bytes = 0;
  const close = () => {
    done();
    if (!incoming.socket.destroyed) incoming.socket.destroySoon();
  };
  const cancelTimer = clock.timer(DRAIN_TIMEOUT_MS, close);
  const onData = (chunk: Buffer) => {
    bytes += chunk.byteLength;
    if (bytes > MAX_DRAIN_BYTES) close();
  };
  const done = () => {
    cancelTimer();
    incoming.off('data', onData);
    incoming.off('end', done);
    incoming.off('error', done);
  };
  incoming.on('data', onData);
  incoming.on('end', done);
  incoming.on('error', done);
  incoming.resume();
}

/**
 * Writes an answer to Node's response: a whole body with its Content-Length, or a stream's pieces
 * one at a time, the next piece pulled only once the socket took the last one (backpressure); a
 * client that leaves cancels the stream, which ends the upstream call.
 */
export async function writeAnswer(outgoing: ServerResponse, answer: GeminiAnswer): Promise<void> {
  const { status, headers, body } = answer;
  if (typeof body === 'string') {
    outgoing.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    outgoing.end(body);
    return;
  }
  outgoing.writeHead(status, headers);
  outgoing.flushHeaders();
  await writePieces(outgoing, body);
}

async function writePieces(outgoing: ServerResponse, pieces: AnswerPieces): Promise<void> {
  let gone = outgoing.destroyed;
  let wake: (() => void) | undefined;
  const onClose = () => {
    if (outgoing.writableFinished) return;
    gone = true;
    wake?.();
  };
  outgoing.once('close', onClose);
  try {
    while (!gone) {
      const piece = await pieces.next();
      if (gone) break;
      if (piece === undefined) {
        outgoing.end();
        return;
      }
      if (!outgoing.write(piece)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          outgoing.once('drain', resolve);
        });
        outgoing.off('drain', wake!);
        wake = undefined;
      }
    }
    await pieces.cancel();
  } finally {
    outgoing.off('close', onClose);
  }
}
