// A stand-in for the real Gemini API on a loopback port, for the methods the emulator does not
// serve (tuned models, operations, file search stores, interactions …). It records every request
// (method, path, query without the key, the headers that carry meaning, the body) and answers
// plainly: resumable uploads by Google's protocol (x-goog-upload-url on the same path, then "final"), requests that
// ask for `text/event-stream` with two SSE events, WebSocket upgrades on any /ws/ path with
// `setupComplete`, and everything else with a small JSON naming the resource. What it answers
// matters less than that a call through the gateway reaches it as the same request as direct.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** One request as the stand-in saw it; `key` is where the caller put its key (header or query). */
export interface StandInRequest {
  method: string;
  path: string;
  query: string;
  contentType: string | undefined;
  accept: string | undefined;
  uploadHeaders: Record<string, string>;
  body: string;
  key: string | undefined;
}

export interface StandInUpstream {
  url: string;
  requests: StandInRequest[];
  /** WebSocket upgrades: path and key. */
  sockets: Array<{ path: string; key: string | undefined }>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startStandInUpstream(): Promise<StandInUpstream> {
  const requests: StandInRequest[] = [];
  const sockets: StandInUpstream['sockets'] = [];
  let sessions = 0;
  let origin = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), 'http://stand-in');
      const key = header(request, 'x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
      url.searchParams.delete('key');
      const uploadHeaders = Object.fromEntries(
        Object.entries(request.headers)
          .filter(([name]) => name.startsWith('x-goog-upload-') && name !== 'x-goog-upload-url')
          .map(([name, value]) => [name, String(value)])
          .sort(([a = ''], [b = '']) => a.localeCompare(b)),
      );
      const body = await readBody(request);
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        query: url.searchParams.toString(),
        contentType: header(request, 'content-type'),
        accept: header(request, 'accept'),
        uploadHeaders,
        body,
        key,
      });
      const command = header(request, 'x-goog-upload-command') ?? '';
      if (command.includes('start')) {
        sessions += 1;
        response.writeHead(200, {
          'x-goog-upload-status': 'active',
          // As Google does: the same path, with an upload id (the emulator's files do the same).
          'x-goog-upload-url': `${origin}${url.pathname}?upload_id=stand-in-${sessions}&upload_protocol=resumable`,
          'x-goog-upload-chunk-granularity': '8388608',
          'content-type': 'application/json',
        });
        response.end('{}');
        return;
      }
      const name = url.pathname.replace(/^\/(upload\/)?(v1|v1beta|v1alpha)\//, '').replace(/:.*$/, '');
      if (command.includes('finalize')) {
        response.writeHead(200, { 'x-goog-upload-status': 'final', 'content-type': 'application/json' });
        response.end(JSON.stringify({ name: `${name}/operations/upload-${sessions}`, done: true }));
        return;
      }
      if ((header(request, 'accept') ?? '').includes('text/event-stream')) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(
          `event: interaction.start\ndata: ${JSON.stringify({ event_type: 'interaction.start', interaction: { id: 'i1' } })}\n\n`,
        );
        response.end(
          `event: done\ndata: ${JSON.stringify({ event_type: 'interaction.complete', interaction: { id: 'i1', status: 'completed' } })}\n\n`,
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ name, id: name.split('/').pop(), done: true }));
    })();
  });
  const webSockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), 'http://stand-in');
    sockets.push({
      path: url.pathname,
      key: header(request, 'x-goog-api-key') ?? url.searchParams.get('key') ?? undefined,
    });
    webSockets.handleUpgrade(request, socket, head, (ws) => {
      ws.once('message', () => ws.send(JSON.stringify({ setupComplete: {} })));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    sockets,
    close: async () => {
      for (const client of webSockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
