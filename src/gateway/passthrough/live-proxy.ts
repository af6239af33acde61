// The Live API through the gateway: WebSocket sessions at
// /ws/google.ai.generativelanguage.{version}.GenerativeService.Bidi… (BidiGenerateContent, its
// Constrained form for ephemeral tokens, BidiGenerateMusic for Lyria RealTime, and any later one) are
// proxied both ways with an upstream key injected. Until the upstream has answered `setup` with
// `setupComplete`, a close whose reason blames the key or its project, or says its quota is spent
// (errors/live-close.ts reads it), is retried on another key (of another project, for a project's
// fault or quota) before the client sees anything. Any other close, an unknown model's above all,
// reaches the client at once with the upstream's own code and reason: another key cannot fix it.
// Source: https://ai.google.dev/api/live
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { GeminiClient } from '../../client/index.js';
import { classifyLiveClose, type GeminiError } from '../../errors/index.js';
import { bareModelName } from '../../wire/index.js';
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

/**
 * Whether another key may get the session a setup refusal (`error`, from the close frame) denied:
 * only when the key or its project is refused, or the project's quota is spent. An unknown model,
 * a bad setup or an overloaded service would be refused on every key alike.
 */
function anotherKeyMayHelp(error: GeminiError): boolean {
  return (
    error.blame === 'key' ||
    error.blame === 'project' ||
    error.kind === 'rate_limited' ||
    error.kind === 'quota_exhausted'
  );
}

/** Whether the refusal is the project's (fault or quota), so the project's other keys would fare no better. */
function projectWide(error: GeminiError): boolean {
  return error.blame === 'project' || error.kind === 'rate_limited' || error.kind === 'quota_exhausted';
}

/** The model a setup message names, for the error's context (undefined when it cannot be read). */
function setupModel(message: { data: RawData; binary: boolean } | undefined): string | undefined {
  if (!message) return undefined;
  try {
    const data = message.data;
    const text = (
      Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
    ).toString('utf8');
    const model = (JSON.parse(text) as { setup?: { model?: unknown } }).setup?.model;
    return typeof model === 'string' ? bareModelName(model) : undefined;
  } catch {
    return undefined;
  }
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
  /** Projects that refused this session's setup for their own fault or quota: their other keys are skipped. */
  const refusedProjects = new Set<string>();
  let tries = 0;
  const base = new URL(options.upstream);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';

  const attempt = (from: number) => {
    if (clientGone) return;
    let index = from;
    while (keys[index] && refusedProjects.has(keys[index]!.project)) index++;
    const entry = keys[index];
    if (!entry) {
      ws.close(1011, 'No usable key in this gateway.');
      return;
    }
    tries++;
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
      if (!setupDone && !clientGone && reason) {
        const refusal = classifyLiveClose(code, reason, {
          ...(model ? { model } : {}),
          keyHint: entry.hint,
          secrets: [entry.key],
        });
        // A key that is itself refused (not valid, expired) is out for every call, as on the HTTP routes.
        if (refusal.blame === 'key') options.client.keys.disable(entry, `Live setup refused: ${refusal.message}`);
        if (anotherKeyMayHelp(refusal) && tries < maxAttempts) {
          if (projectWide(refusal)) refusedProjects.add(entry.project);
          attempt(index + 1);
          return;
        }
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
  let model: string | undefined;
  // Wait for the client's setup before choosing a key.
  const start = () => {
    const begin = () => {
      model = setupModel(pending[0]);
      attempt(0);
    };
    if (pending.length > 0) begin();
    else ws.once('message', begin);
  };
  start();
}
