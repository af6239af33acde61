// The emulator on a real socket: the Fetch-style handler served by @hono/node-server's request
// listener on an http.Server we create, so header and body deadlines, keep-alive and the parser's
// own errors (answered in Google's envelope) stay in our hands.
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import type { Clock } from '../time/index.js';
import { bodies } from './bodies.js';
import { EMULATOR_DEFAULTS, emulatorConfigSchema, type EmulatorConfig } from './config.js';
import { createEmulatorHandler } from './handler.js';
import { errorResponse } from './respond.js';
import { attachLiveSessions } from './resources/live.js';
import type { EmulatorStats } from './state.js';

export interface EmulatorOptions {
  /** Address to listen on (127.0.0.1 by default). */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** The clock for quota windows, latency and fault windows (the real clock by default). */
  clock?: Clock;
}

export interface EmulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:41234: give it to an SDK as its base URL. */
  url: string;
  port: number;
  stats(): EmulatorStats;
  reset(): void;
  /** Applies more configuration at run time (same shape as the start config; throws on a bad one). */
  configure(config: EmulatorConfig): void;
  /** The same handler the socket serves, for in-process calls. */
  fetch(request: Request): Promise<Response>;
  close(): Promise<void>;
}

/** The status the parser's refusal deserves: 431 for oversized headers, 408 for slowness, else 400. */
function parserStatus(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** Writes the parser's refusal on the raw socket, in the API's envelope, then closes. */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const status = parserStatus(error.code);
  const answer = bodies.httpParser(status);
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: ${answer.contentType}\r\n` +
      `content-length: ${Buffer.byteLength(answer.body)}\r\nconnection: close\r\n\r\n${answer.body}`,
  );
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Starts the emulator on a real socket (port 0 picks a free one). Throws on an invalid config. */
export async function startEmulator(
  config: EmulatorConfig = {},
  options: EmulatorOptions = {},
): Promise<EmulatorHandle> {
  const checked = emulatorConfigSchema.parse(config);
  const handler = createEmulatorHandler(checked, options.clock);
  const listener = getRequestListener((request) => handler.fetch(request), {
    // Keep Node's own Request/Response globals: the emulator may share a process with SDKs under test.
    overrideGlobalObjects: false,
    errorHandler: () => errorResponse(bodies.internal()),
  });
  const bodyTimeoutMs = checked.bodyTimeoutMs ?? EMULATOR_DEFAULTS.bodyTimeoutMs;
  const server = createServer(
    {
      headersTimeout: EMULATOR_DEFAULTS.headersTimeoutMs,
      // The handler answers a slow body itself (408 in the envelope); this is the backstop.
      requestTimeout: bodyTimeoutMs + EMULATOR_DEFAULTS.headersTimeoutMs,
      keepAliveTimeout: 65_000,
    },
    // The listener answers its own failures (errorHandler above), so its promise is not awaited here.
    (request, response) => void listener(request, response),
  );
  server.on('clientError', answerClientError);
  const closeLiveSessions = attachLiveSessions(server, handler.state, (request) => handler.fetch(request));
  const host = options.host ?? EMULATOR_DEFAULTS.host;
  await listen(server, host, options.port ?? 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    stats: () => handler.state.stats(),
    reset: () => handler.state.reset(),
    configure: (next) => handler.state.apply(emulatorConfigSchema.parse(next)),
    fetch: (request) => handler.fetch(request),
    close: () =>
      new Promise<void>((resolve) => {
        closeLiveSessions();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
