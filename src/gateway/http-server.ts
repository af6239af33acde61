// Serving a Fetch-style handler on Node: an http.Server of our own (so that connection limits,
// parser errors, timeouts and draining stay in our hands), with @hono/node-server's
// getRequestListener turning each IncomingMessage into a `Request` and each `Response` back into
// bytes, with backpressure, and aborting `request.signal` when the client disconnects.
// A request body is the one part we convert ourselves (`withStreamedBody`): the listener's conversion
// goes through Readable.toWeb, which copies every chunk and, before Node 20's byte-counting fix,
// queued up to 16384 chunks (about 1 GB) ahead of a slow reader.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { realClock } from '../time/index.js';
import { withNodeSource } from '../transport/streamed-send.js';
import type { NodeEdge } from './model-call-edge.js';

/** The Node objects behind one request, for the server's own bookkeeping (logs, metrics). */
/** How long an idle kept-alive client socket stays open, ms: longer than load balancers' idle timeouts. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface NodeExchange {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

export interface FetchServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Answers each request; must not throw (a throw becomes a 500 from `errorBody`). */
  handler: (request: Request, exchange: NodeExchange) => Promise<Response>;
  /**
   * Called first with each request (not while draining): a Node-native edge that may take the
   * request itself (true) or leave it to `handler` (false). See model-call-edge.ts.
   */
  nodeEdge?: NodeEdge;
  /**
   * The body of answers the server gives itself (parser errors 400/408/431, the connection cap's
   * 503, a handler that threw), so that clients always read the API's own error format.
   */
  errorBody: (status: number, message: string) => string;
  /** Open connections allowed at once; the next one is answered 503 and closed. Default: no cap. */
  maxConnections?: number;
  /** Time allowed to receive a request's headers, ms (Node's `headersTimeout`). */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request, body included, ms (Node's `requestTimeout`). */
  requestTimeoutMs?: number;
}

/** A running server. */
export interface FetchServer {
  server: Server;
  /** The bound port (useful with port 0). */
  port: number;
  /** Requests whose answers are not finished yet (streams included). */
  inFlight(): number;
  /**
   * Graceful shutdown: stops accepting, answers new requests on kept-alive connections with 503,
   * waits up to `graceMs` for answers in progress, then cuts what is still open.
   */
  close(graceMs: number): Promise<void>;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A whole HTTP/1.1 answer as bytes, for sockets that never reached a request handler. */
function rawAnswer(status: number, body: string): string {
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=UTF-8\r\n' +
    (status === 503 ? 'Retry-After: 1\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** What the HTTP parser's own failures mean, as an API-style status and message. */
function parserFailure(code: string | undefined): { status: number; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, message: 'Request header fields too large: send fewer or shorter headers.' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, message: 'The request was not received in time: send the whole request promptly.' };
  return { status: 400, message: 'The request is not valid HTTP/1.1 and cannot be read.' };
}

/**
 * A request body read from Node's stream only as fast as its reader takes it: one chunk per pull and
 * no queue of its own (highWaterMark 0), so Node's own buffer (16 KiB) fills and TCP pauses the
 * sender. Cancelling stops reading without destroying the socket, so an answer can still be written
 * (the listener drains or closes the rest after the answer).
 */
export function nodeBodyStream(incoming: Readable): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Uint8Array, undefined> | undefined;
  // withNodeSource: the pass-through's streamed send reads `incoming` itself, without this layer.
  const web = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= incoming.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array, undefined>;
        const next = await chunks.next();
        if (next.done === true) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return withNodeSource(web, incoming);
}

/** Bodies the Node edge already read from a request it then left to the Fetch handler. */
const bodiesReadBefore = new WeakMap<IncomingMessage, Buffer>();

/**
 * The request a handler gets: the listener's own for requests without a body (GET, HEAD, TRACE),
 * else a `Request` whose body is `nodeBodyStream` and whose signal aborts when the client goes away
 * before the answer is complete (the same contract as the listener's signal).
 */
function withStreamedBody(light: Request, node: NodeExchange): Request {
  const method = node.incoming.method ?? 'GET';
  const readBefore = bodiesReadBefore.get(node.incoming);
  if (method === 'GET' || method === 'HEAD' || method === 'TRACE') return light;
  const abort = new AbortController();
  node.outgoing.once('close', () => {
    if (node.incoming.errored) abort.abort(node.incoming.errored);
    else if (!node.outgoing.writableFinished) abort.abort(new Error('The client closed the connection.'));
  });
  try {
    return new Request(light.url, {
      method,
      headers: light.headers,
      body: readBefore ?? nodeBodyStream(node.incoming),
      signal: abort.signal,
      duplex: 'half',
    } as RequestInit);
  } catch {
    return light; // a method fetch refuses to carry a body for: the listener's own request serves it
  }
}

/** Starts serving `options.handler`; resolves once listening. */
export async function serveFetch(options: FetchServerOptions): Promise<FetchServer> {
  let closing = false;
  let inFlight = 0;
  const fetchCallback = async (request: Request, exchange: unknown): Promise<Response> => {
    const node = exchange as NodeExchange;
    if (closing) {
      node.outgoing.setHeader('connection', 'close');
      return new Response(options.errorBody(503, 'The gateway is shutting down: retry on another instance.'), {
        status: 503,
        headers: { 'content-type': 'application/json; charset=UTF-8', 'retry-after': '1' },
      });
    }
    return options.handler(withStreamedBody(request, node), node);
  };
  const listenerOptions = {
    // Leave the process's global Request/Response alone: SDKs and undici in the same process use them.
    overrideGlobalObjects: false,
    // Reached only when no Request could be made from the message (e.g. an unusable Host header).
    errorHandler: () =>
      new Response(options.errorBody(400, 'The request line or headers cannot be read as a URL.'), {
        status: 400,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
      }),
  };
  const listener = getRequestListener(fetchCallback, listenerOptions);
  // For requests whose body the Node edge already read: nothing is left on the socket to drain.
  const afterEdge = getRequestListener(fetchCallback, { ...listenerOptions, autoCleanupIncoming: false });
  const fallback = (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer) => {
    bodiesReadBefore.set(incoming, body);
    void afterEdge(incoming, outgoing);
  };
  // Node checks request timeouts on this interval (30 s by default): keep it a fraction of the limit.
  const checkEvery = Math.max(50, Math.min(30_000, Math.floor((options.requestTimeoutMs ?? 120_000) / 4)));
  const requestTimeout = options.requestTimeoutMs ?? 120_000;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 60_000, requestTimeout);
  const server = createServer(
    { connectionsCheckingInterval: checkEvery, requestTimeout, headersTimeout },
    (incoming, outgoing) => {
      inFlight++;
      outgoing.once('close', () => inFlight--);
      if (!closing && options.nodeEdge?.(incoming, outgoing, fallback)) return;
      void listener(incoming, outgoing);
    },
  );

  // Load balancers keep idle upstream connections open for about a minute (AWS ALB: 60 s by default)
  // and reuse them. Node closes an idle kept-alive socket after 5 s, so a balancer can send on a
  // socket the gateway is closing and answer its client 502. Idle sockets therefore live longer than
  // the balancers'; a drain on shutdown still closes them at once.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (options.maxConnections !== undefined && sockets.size >= options.maxConnections) {
      // Node's own maxConnections closes silently; a client deserves to know why.
      socket.end(
        rawAnswer(
          503,
          options.errorBody(
            503,
            `The gateway has ${options.maxConnections} connections open, its configured maximum: retry shortly.`,
          ),
        ),
      );
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, message } = parserFailure(error.code);
    socket.end(rawAnswer(status, options.errorBody(status, message)));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    server,
    port,
    inFlight: () => inFlight,
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const until = realClock.now() + graceMs;
      while (inFlight > 0 && realClock.now() < until) await realClock.sleep(20);
      // Nothing in flight (or the grace is over): keep-alive and never-used sockets need not wait.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
