// Live sessions over WebSocket, as the Live API serves them at
// /ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerateContent[Constrained]:
// the first client message is `setup`, answered by `setupComplete`; each complete text turn
// (`clientContent` with turnComplete, or `realtimeInput.text`) is answered by `serverContent` with the
// model's turn, then `turnComplete` with usage. Turns go to the emulator's generate route with the
// session's key, so answers, faults and quotas equal a native call. A refused setup closes the socket
// with a close code and Google's message as the reason (1008 for a key or model, 1011 for quota).
// Source: https://ai.google.dev/api/live
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { bareModelName } from '../../wire/index.js';
import type { EmulatorState, KeyRecord } from '../state.js';

/** The Live API's WebSocket paths (v1beta and v1alpha, plain and constrained for ephemeral tokens). */
export const LIVE_PATH_PATTERN =
  /^\/ws\/google\.ai\.generativelanguage\.(v1beta|v1alpha|v1)\.GenerativeService\.(BidiGenerateContent|BidiGenerateContentConstrained)$/;

/** Models the emulator answers Live turns with when the session names a Live-only model. */
const LIVE_STAND_IN = 'gemini-2.0-flash';

/** A close reason is at most 123 bytes on the wire. */
function reason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(Buffer.from(JSON.stringify(message)));
}

interface Session {
  key: KeyRecord;
  model?: string;
  version: string;
  setup?: Record<string, unknown>;
  history: Array<Record<string, unknown>>;
  busy: Promise<void>;
}

/**
 * Serves Live sessions on `server`'s upgrade event. `dispatch` is the emulator's own handler.
 * Returns a function that closes every open session.
 */
export function attachLiveSessions(
  server: Server,
  state: EmulatorState,
  dispatch: (request: Request) => Promise<Response>,
): () => void {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // @google/genai joins its base URL and the path with a double slash ("//ws/…"), which a URL
    // parser would read as a host; Google accepts it, so the slashes are folded before parsing.
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), 'http://emulator');
    const match = LIVE_PATH_PATTERN.exec(url.pathname);
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const header = request.headers['x-goog-api-key'];
      const apiKey =
        (Array.isArray(header) ? header[0] : header) ??
        url.searchParams.get('key') ??
        url.searchParams.get('access_token') ??
        '';
      const key = apiKey ? state.lookupKey(apiKey) : undefined;
      if (!key || key.state !== 'active') {
        ws.close(
          1008,
          reason(
            key
              ? 'Permission denied: the API key cannot use this service.'
              : 'API key not valid. Please pass a valid API key.',
          ),
        );
        return;
      }
      serveSession(ws, { key, version: match[1]!, history: [], busy: Promise.resolve() }, state, dispatch, url.origin);
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of sockets.clients) client.terminate();
    sockets.close();
  };
}

function serveSession(
  ws: WebSocket,
  session: Session,
  state: EmulatorState,
  dispatch: (request: Request) => Promise<Response>,
  origin: string,
): void {
  ws.on('message', (data: RawData) => {
    let message: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(bufferOf(data).toString('utf8'));
      if (typeof value !== 'object' || value === null) throw new Error('not an object');
      message = value as Record<string, unknown>;
    } catch {
      ws.close(1007, 'Request contains an invalid argument.');
      return;
    }
    session.busy = session.busy
      .then(() => onMessage(ws, session, message, state, dispatch, origin))
      .catch(() => {
        ws.close(1011, 'Internal error occurred.');
      });
  });
}

async function onMessage(
  ws: WebSocket,
  session: Session,
  message: Record<string, unknown>,
  state: EmulatorState,
  dispatch: (request: Request) => Promise<Response>,
  origin: string,
): Promise<void> {
  if (!session.setup) {
    const setup = message.setup;
    if (typeof setup !== 'object' || setup === null) {
      ws.close(1007, 'The first message of a session must be setup.');
      return;
    }
    const setupObject = setup as Record<string, unknown>;
    const model = typeof setupObject.model === 'string' ? bareModelName(setupObject.model) : '';
    const known = state.models.has(model) ? model : /live|native-audio/.test(model) ? LIVE_STAND_IN : undefined;
    if (!known) {
      ws.close(
        1008,
        reason(
          `models/${model} is not found for API version ${session.version}, or is not supported for bidiGenerateContent.`,
        ),
      );
      return;
    }
    const picked = state.faults.select(
      { model: known, key: session.key.key, project: session.key.project },
      state.clock.now(),
    );
    if (picked.before) {
      const status = picked.before.fault.status;
      ws.close(
        1011,
        status === 429
          ? 'You exceeded your current quota, please check your plan and billing details.'
          : 'The service is currently unavailable.',
      );
      return;
    }
    session.setup = setupObject;
    session.model = known;
    send(ws, { setupComplete: {} });
    return;
  }
  const text = turnText(message, session);
  if (text === undefined) return;
  const request = {
    contents: session.history,
    ...(session.setup.systemInstruction ? { systemInstruction: session.setup.systemInstruction } : {}),
    ...(session.setup.generationConfig
      ? { generationConfig: liveGenerationConfig(session.setup.generationConfig) }
      : {}),
  };
  const answer = await dispatch(
    new Request(
      `${origin}/${session.version === 'v1' ? 'v1beta' : session.version}/models/${session.model}:generateContent`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': session.key.key },
        body: JSON.stringify(request),
      },
    ),
  );
  const value = (await answer.json().catch(() => ({}))) as Record<string, unknown>;
  if (answer.status !== 200) {
    const error = value.error as { message?: string } | undefined;
    ws.close(1011, reason(error?.message ?? 'Internal error occurred.'));
    return;
  }
  const candidate = (value.candidates as Array<Record<string, unknown>> | undefined)?.[0];
  const parts = ((candidate?.content as { parts?: unknown[] } | undefined)?.parts ?? []) as Array<
    Record<string, unknown>
  >;
  session.history.push({ role: 'model', parts });
  send(ws, { serverContent: { modelTurn: { parts } } });
  send(ws, { serverContent: { generationComplete: true } });
  send(ws, { serverContent: { turnComplete: true }, usageMetadata: value.usageMetadata ?? {} });
  void text;
}

/** The text of a complete user turn, appended to the history; undefined while a turn is still open. */
function turnText(message: Record<string, unknown>, session: Session): string | undefined {
  const content = message.clientContent as
    { turns?: Array<Record<string, unknown>>; turnComplete?: boolean } | undefined;
  if (content) {
    for (const turn of content.turns ?? [])
      session.history.push({ role: turn.role ?? 'user', parts: turn.parts ?? [] });
    return content.turnComplete ? '' : undefined;
  }
  const realtime = message.realtimeInput as { text?: string } | undefined;
  if (realtime && typeof realtime.text === 'string') {
    session.history.push({ role: 'user', parts: [{ text: realtime.text }] });
    return realtime.text;
  }
  return undefined;
}

/** Live generation settings that generateContent also knows (response modalities and voices are Live-only). */
function liveGenerationConfig(config: unknown): Record<string, unknown> {
  if (typeof config !== 'object' || config === null) return {};
  const { responseModalities: _modalities, speechConfig: _speech, ...rest } = config as Record<string, unknown>;
  return rest;
}

/** A ws message as one Buffer, whichever of its three forms it arrived in. */
function bufferOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
