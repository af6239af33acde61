// One forwarded HTTP exchange whose bodies stream: the request body is bytes, or a Node stream read
// only as fast as the upstream socket takes it (the gateway hands over the client's own
// IncomingMessage, so an upload is never converted to a web stream and back); the answer comes back
// with its body unread. This is the edge where a forwarded call's failures become GeminiErrors: an
// answer of 400 or more is read and classified here, as is a request that got no answer.
// Sent with undici's request API on the transport's keep-alive pool (upstream-pool.ts), which
// follows no redirect: a 3xx answer is the caller's to pass on.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { request as undiciRequest } from 'undici';
import { classify, type GeminiError } from '../errors/index.js';
import type { Clock } from '../time/index.js';
import { upstreamPool, type UpstreamPool } from './upstream-pool.js';

/** One streamed send. */
export interface StreamedCall {
  url: URL | string;
  /** HTTP method, e.g. "POST". */
  method: string;
  /** The request headers as they go upstream (the key included; never logged). */
  headers: Headers;
  /**
   * The body: bytes or text (replayable), or a stream sent once. A Node Readable is read with
   * backpressure and is not destroyed when the upstream answers before taking all of it, so the
   * caller can still answer on the connection the stream came from. A web stream made over a Node
   * stream (`withNodeSource`) and not read yet is sent as that Node stream, without the web layer.
   */
  body?: Uint8Array | string | Readable | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
  /** The key's hint (last 4 characters) that errors name. */
  keyHint: string;
  /** Keys to redact from any error text. */
  secrets: readonly string[];
  clock: Clock;
  /** The model the call is for (kept on its errors). */
  model?: string;
  /** A compressed quota day, ms (see ClassifyContext.quotaDayMs); absent for the real day. */
  quotaDayMs?: number;
  /** The pool to send on (default: the transport's shared unlimited pool). */
  pool?: UpstreamPool;
}

/** An answer below 400 (2xx, or a 3xx passed on as it is), its body not read yet. */
export interface StreamedAnswer {
  status: number;
  /** The answer's headers; a content-encoding the transport undid is removed. */
  headers: Headers;
  /** The body as a Node stream (destroy it to drop the rest of the answer). */
  body: Readable;
}

/** A failure: the classified error, and upstream's own answer when there was one. */
export interface StreamedFailure {
  error: GeminiError;
  /** The failed answer (status 400 or more), its body read as text; absent when nothing answered. */
  answer?: { status: number; headers: Headers; text: string };
  /**
   * False only when the failure proves the request never reached the upstream (connection refused,
   * unknown host, connect timeout): a write can then be retried without risk of doing it twice.
   */
  reachedUpstream: boolean;
}

export type StreamedOutcome = ({ ok: true } & StreamedAnswer) | ({ ok: false } & StreamedFailure);

/** Network failures that prove the request never left for the upstream (undici and Node error codes). */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function failureCode(failure: unknown): string | undefined {
  return (failure as { code?: string } | undefined)?.code ?? (failure as { cause?: { code?: string } })?.cause?.code;
}

/** Undoes a content-encoding the upstream applied although it was asked for identity. */
function decoded(body: Readable, encoding: string | null): Readable {
  const name = encoding?.trim().toLowerCase();
  const decoder =
    name === 'gzip' || name === 'x-gzip'
      ? createGunzip()
      : name === 'br'
        ? createBrotliDecompress()
        : name === 'deflate'
          ? createInflate()
          : undefined;
  if (!decoder) return body;
  return pipeline(body, decoder, () => undefined);
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends `call` and resolves with its outcome; never rejects. Below 400: `{ ok: true }` with status,
 * headers and the unread body. 400 or more: `{ ok: false }` with the error classified from status,
 * headers and body (the body read here; error bodies are small) and that answer. No answer (refused,
 * reset, aborted by `signal`): `{ ok: false }` with the classified network, timeout or cancelled error.
 */
export async function sendStreamed(call: StreamedCall): Promise<StreamedOutcome> {
  const context = {
    keyHint: call.keyHint,
    secrets: call.secrets,
    clock: call.clock,
    ...(call.model ? { model: call.model } : {}),
    ...(call.quotaDayMs !== undefined ? { quotaDayMs: call.quotaDayMs } : {}),
  };
  const headers: Record<string, string> = {};
  call.headers.forEach((value, name) => (headers[name] = value));
  const body = sendable(call.body);
  try {
    const answer = await undiciRequest(call.url, {
      method: call.method as 'POST',
      headers,
      // undici reads async iterables (lib/core/request.js) though its types list only Readable.
      ...(body !== undefined ? { body: body as string } : {}),
      ...(call.signal ? { signal: call.signal } : {}),
      dispatcher: (call.pool ?? upstreamPool()).dispatcher,
    });
    const answerHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const item of value) answerHeaders.append(name, item);
      else if (value !== undefined) answerHeaders.set(name, value);
    }
    const encoding = answerHeaders.get('content-encoding');
    const stream = decoded(answer.body, encoding);
    if (stream !== answer.body) answerHeaders.delete('content-encoding');
    if (answer.statusCode < 400) return { ok: true, status: answer.statusCode, headers: answerHeaders, body: stream };
    let text: string;
    try {
      text = await readText(stream);
    } catch (failure) {
      return { ok: false, error: classify(failure, context), reachedUpstream: true };
    }
    const error = classify({ status: answer.statusCode, headers: answerHeaders, body: text }, context);
    return {
      ok: false,
      error,
      answer: { status: answer.statusCode, headers: answerHeaders, text },
      reachedUpstream: true,
    };
  } catch (failure) {
    return {
      ok: false,
      error: classify(failure, context),
      reachedUpstream: !NEVER_SENT.has(failureCode(failure) ?? ''),
    };
  }
}

const nodeSources = new WeakMap<ReadableStream<Uint8Array>, Readable>();

/**
 * Marks `web` as a view of the Node stream `source` (e.g. a server's request body), so that a send
 * of `web` reads `source` directly. Returns `web`.
 */
export function withNodeSource(web: ReadableStream<Uint8Array>, source: Readable): ReadableStream<Uint8Array> {
  nodeSources.set(web, source);
  return web;
}

/** The body in the form undici reads best (see StreamedCall.body). */
function sendable(body: StreamedCall['body']): Uint8Array | string | AsyncIterable<Uint8Array> | undefined {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ReadableStream) {
    const source = body.locked ? undefined : nodeSources.get(body);
    return source ? untilDone(source) : body;
  }
  return untilDone(body);
}

/**
 * A Node stream as undici should read it: chunk by chunk, waiting for the socket to drain, and left
 * undestroyed when the send ends early (undici destroys a Readable body when the exchange ends,
 * which for a server's IncomingMessage would close the client's connection before it is answered).
 */
function untilDone(stream: Readable): AsyncIterable<Uint8Array> {
  return stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
}

/**
 * A Node stream as a web ReadableStream, read only as fast as its reader pulls (one chunk per pull,
 * no queue of its own: Node's own buffer fills and TCP pauses the sender). Cancelling destroys the
 * stream, which for an upstream answer closes its connection.
 */
export function pulledStream(stream: Readable): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Uint8Array, undefined> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
        const next = await chunks.next();
        if (next.done === true) controller.close();
        else controller.enqueue(next.value);
      },
      cancel(reason) {
        stream.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

export { readText as readStreamText };
