// The gateway's Node edge for plain model calls (src/gateway/model-call-edge.ts) over real sockets:
// what it does differently from the Fetch edge (reading the body from Node's stream, writing the
// answer to Node's response) keeps every behaviour: a body over the limit gets the envelope's 413
// before any upstream call and the connection stays usable, a client that leaves mid-stream ends
// the upstream call, a stream keeps backpressure end to end, and a call citing a file still reaches
// the pass-through with its body.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { hello, post, sleep } from './helpers/http.js';
import { startStack, type StackUpstream } from './helpers/stack.js';

const STREAM_PATH = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';

/** One SSE event of a Gemini stream chunk carrying `text`. */
function sseChunk(text: string): string {
  const chunk = { candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }] };
  return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
}

interface StreamingUpstream extends StackUpstream {
  /** Bytes of stream body the upstream has handed to its socket so far. */
  written(): number;
  /** Resolves with true when the upstream's answer was closed before it ended (the gateway hung up). */
  closed: Promise<boolean>;
}

/**
 * An upstream that answers streamGenerateContent with `chunks` SSE chunks of `size` characters,
 * writing only as fast as its socket takes them (so `written` shows how far the gateway read), then
 * ends; with `hold`, it sends one chunk and holds the answer open.
 */
async function streamingUpstream({ chunks = 0, size = 0, hold = false }): Promise<StreamingUpstream> {
  let written = 0;
  let settle: (early: boolean) => void = () => undefined;
  const closed = new Promise<boolean>((resolve) => (settle = resolve));
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    incoming.resume();
    outgoing.once('close', () => settle(!outgoing.writableFinished));
    outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
    if (hold) {
      outgoing.write(sseChunk('first words '));
      return;
    }
    const text = 'x'.repeat(size);
    void (async () => {
      for (let index = 0; index < chunks && !outgoing.destroyed; index++) {
        const event = sseChunk(text);
        written += event.length;
        if (!outgoing.write(event))
          await new Promise<void>((resolve) => {
            const go = () => {
              outgoing.off('drain', go);
              outgoing.off('close', go);
              resolve();
            };
            outgoing.on('drain', go);
            outgoing.on('close', go);
          });
      }
      outgoing.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    written: () => written,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Opens a POST to `url` with `body`; resolves with the answer, its body not read. */
function open(url: string, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

/** Sends raw HTTP/1.1 on one connection and resolves with everything received once `done(text)` says so. */
function exchange(port: number, write: (send: (text: string) => void) => void, done: (text: string) => boolean) {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => write((chunk) => socket.write(chunk)));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('the Node edge for plain model calls', () => {
  it('refuses a body over the limit with the envelope 413 before any upstream call, declared or streamed, and keeps the connection', async () => {
    const stack = await startStack({ gateway: { bodyLimitBytes: 1024 } });
    const { gateway, emulator } = stack;
    const big = JSON.stringify({ contents: [{ parts: [{ text: 'x'.repeat(4000) }] }] });
    const path = '/v1beta/models/gemini-2.5-flash:generateContent';
    const small = JSON.stringify(hello);
    // Declared: refused from Content-Length; chunked: refused once the bytes read pass the limit.
    // Each is followed on the same connection by a plain call, which must be answered.
    for (const framing of ['declared', 'chunked'] as const) {
      const head =
        framing === 'declared'
          ? `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n${big}`
          : `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
            `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
      const follow = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\n\r\n${small}`;
      const text = await exchange(
        gateway.port,
        (send) => send(head + follow),
        (received) => (received.match(/HTTP\/1\.1 /g) ?? []).length === 2 && received.includes('"candidates"'),
      );
      const [first = '', second = ''] = text.split(/(?=HTTP\/1\.1 )/);
      expect(first).toMatch(/^HTTP\/1\.1 413 /);
      const envelope = JSON.parse(first.slice(first.indexOf('\r\n\r\n') + 4)) as {
        error: { code: number; status: string; message: string };
      };
      expect(envelope.error).toMatchObject({ code: 413, status: 'INVALID_ARGUMENT' });
      expect(envelope.error.message).toContain('1024 bytes');
      expect(first.toLowerCase()).toContain('x-gemwarden-kind: input_too_large');
      expect(second).toMatch(/^HTTP\/1\.1 200 /);
    }
    // Only the two follow-up calls went upstream.
    expect(emulator.stats().total).toBe(2);
  });

  it('ends the upstream call when the client leaves in the middle of a stream', async () => {
    const upstream = await streamingUpstream({ hold: true });
    const stack = await startStack({ upstream, gateway: { maxAttempts: 1 } });
    const answer = await open(`${stack.gateway.url}${STREAM_PATH}`, hello);
    expect(answer.statusCode).toBe(200);
    const first = await new Promise<string>((resolve) =>
      answer.once('data', (chunk: Buffer) => resolve(String(chunk))),
    );
    expect(first).toContain('first words');
    answer.destroy();
    // The upstream's answer is closed by the gateway before it ended.
    expect(await upstream.closed).toBe(true);
    // The gateway goes on serving.
    const metrics = await fetch(`${stack.gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
  });

  it('keeps backpressure: a client that does not read stops the upstream, and then gets every byte', async () => {
    const chunks = 1024;
    const size = 64 * 1024;
    const upstream = await streamingUpstream({ chunks, size });
    const stack = await startStack({ upstream, gateway: { maxAttempts: 1 } });
    const answer = await open(`${stack.gateway.url}${STREAM_PATH}`, hello);
    expect(answer.statusCode).toBe(200);
    answer.pause();
    // Wait until the upstream stops making progress (its socket is full because nobody reads).
    let last = -1;
    while (upstream.written() !== last) {
      last = upstream.written();
      await sleep(400);
    }
    const total = chunks * sseChunk('x'.repeat(size)).length;
    // Socket buffers on the way hold some megabytes; without backpressure the whole 64 MB is read.
    expect(upstream.written()).toBeLessThan(total / 2);
    let received = 0;
    let events = 0;
    let tail = '';
    answer.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      const text = tail + chunk.toString('latin1');
      events += text.split('\r\n\r\n').length - 1;
      tail = text.slice(text.lastIndexOf('\r\n\r\n') + 4);
    });
    answer.resume();
    await new Promise((resolve) => answer.once('end', resolve));
    expect(events).toBe(chunks);
    expect(received).toBeGreaterThanOrEqual(total);
    expect(upstream.written()).toBe(total);
  });

  it('hands a call citing a file to the pass-through with its body, and a plain call to the native route', async () => {
    const stack = await startStack({});
    const { gateway } = stack;
    const cited = {
      contents: [
        {
          role: 'user',
          parts: [{ text: 'Describe it' }, { fileData: { fileUri: `${stack.upstreamUrl}/v1beta/files/nosuchfile` } }],
        },
      ],
    };
    const answer = await post(gateway.url, '/v1beta/models/gemini-2.5-flash:generateContent', cited);
    // The emulator knows no such file: its own 4xx comes back through the pass-through, not a 400 about the body.
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(answer.json)).toMatch(/nosuchfile/);
    const plain = await post(gateway.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-gemwarden-attempts')).toBe('1');
  });
});
