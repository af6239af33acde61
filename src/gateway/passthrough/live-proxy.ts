// The Live API through the gateway: WebSocket sessions at
// /ws/google.ai.generativelanguage.{version}.GenerativeService.Bidi… (BidiGenerateContent, its
// Constrained form for ephemeral tokens, BidiGenerateMusic for Lyria RealTime, and any later one) are
// proxied both ways with an upstream key injected. Until the upstream has answered `setup` with
// `setupComplete`, a refusal for a key reason (close 1008) or quota (1011 naming a quota) is retried
// on another key before the client sees anything; afterwards a failure closes the client's socket
// with the upstream's own close code and reason. Source: https://ai.google.dev/api/live
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { GeminiClient } from '../../client/index.js';
import type { ClientToken } from '../auth.js';
import { authenticate } from '../auth.js';

export const LIVE_PATH =
  /^\/ws\/google\.ai\.generativelanguage\.(v1beta|v1alpha|v1)\.GenerativeService\.(Bidi[A-Za-z]+)$/;

export interface LiveProxyOptions {
  client: GeminiClient;
  upstream: string;
  tokens: readonly ClientToken[];
  /** Keys tried for one session's setup, the first included. */
  maxAttempts?: number;
}

/** A close before setupComplete that another key may not get: key refused, or quota. */
function retryableRefusal(code: number, reason: string): boolean {
  if (code === 1008) return true;
  return code === 1011 && /quota|exhausted|rate/i.test(reason);
}

/** Serves Live sessions on the server's upgrade event; returns a function that closes them all. */
export function attachLiveProxy(server: Server, options: LiveProxyOptions): () => void {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const upstreams = new Set<WebSocket>();
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // @google/genai writes "//ws/…" (its base URL ends with a slash); fold the slashes before parsing.
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), 'http://gateway');
    if (!LIVE_PATH.test(url.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const header = request.headers['x-goog-api-key'];
    const presented =
      (Array.isArray(header) ? header[0] : header) ??
      url.searchParams.get('key') ??
      url.searchParams.get('access_token') ??
      undefined;
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (options.tokens.length > 0 && !authenticate(options.tokens, presented)) {
        ws.close(1008, 'A valid gemwarden client token is required (?key=TOKEN).');
        return;
      }
      runSession(ws, url, options, upstreams);
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of sockets.clients) client.terminate();
    for (const upstream of upstreams) upstream.terminate();
    sockets.close();
  };
}

function runSession(ws: WebSocket, url: URL, options: LiveProxyOptions, upstreams: Set<WebSocket>): void {
  const pending: Array<{ data: RawData; binary: boolean }> = [];
  let upstream: WebSocket | undefined;
  let ready = false;
  let clientGone = false;
  ws.on('message', (data, binary) => {
    if (ready && upstream?.readyState === WebSocket.OPEN) upstream.send(data, { binary });
    else pending.push({ data, binary });
  });
  ws.on('close', () => {
    clientGone = true;
    upstream?.close();
  });

  const keys = options.client.keys.byFairness(options.client.keys.keys.filter((entry) => !entry.disabled));
  const maxAttempts = Math.min(options.maxAttempts ?? 4, keys.length);
  const base = new URL(options.upstream);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';

  const attempt = (index: number) => {
    if (clientGone) return;
    const entry = keys[index];
    if (!entry) {
      ws.close(1011, 'No usable key in this gateway.');
      return;
    }
    options.client.keys.markUsed(entry);
    const query = new URLSearchParams(url.search);
    query.delete('key');
    query.delete('access_token');
    query.set('key', entry.key);
    const target = `${base.origin}${base.pathname.replace(/\/$/, '')}${url.pathname}?${query.toString()}`;
    const socket = new WebSocket(target);
    upstreams.add(socket);
    upstream = socket;
    let setupDone = false;
    socket.on('open', () => {
      // Only the setup is sent until it is accepted, so that a refused setup can be replayed elsewhere.
      const setup = pending[0];
      if (setup) socket.send(setup.data, { binary: setup.binary });
    });
    socket.on('message', (data, binary) => {
      if (!setupDone) {
        setupDone = true;
        ready = true;
        for (const message of pending.slice(1)) socket.send(message.data, { binary: message.binary });
        pending.length = 0;
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary });
    });
    socket.on('close', (code, reasonBuffer) => {
      upstreams.delete(socket);
      const reason = reasonBuffer.toString('utf8');
      if (!setupDone && !clientGone && retryableRefusal(code, reason) && index + 1 < maxAttempts) {
        if (code === 1008 && /API key not valid|API_KEY_INVALID|expired/i.test(reason)) {
          options.client.keys.disable(entry, `Live setup refused: ${reason.slice(0, 120)}`);
        }
        attempt(index + 1);
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      // 1005/1006 are not sent on the wire: the upstream went away without a close frame, or refused
      // the upgrade itself (its HTTP status is in the socket's error, which then is the reason).
      if (code === 1005 || code === 1006)
        ws.close(1011, (reason || failure || 'The upstream closed the session.').slice(0, 120));
      else ws.close(code, reason);
    });
    let failure: string | undefined;
    socket.on('error', (error) => {
      failure = `Upstream: ${error.message}`; // a close event follows
    });
  };
  // Wait for the client's setup before choosing a key.
  const start = () => {
    if (pending.length > 0) attempt(0);
    else ws.once('message', () => attempt(0));
  };
  start();
}
