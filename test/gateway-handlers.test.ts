// The gateway's Fetch-style handlers called in process (no client socket), and the server's own
// answers (parser errors, one log line per request) over raw sockets.
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRouter, type GatewayHandle, type GatewayOptions } from '../src/gateway/index.js';
import { hello } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyHandlerHandlerHandlerHandler9876`;

async function setup(options: GatewayOptions = {}): Promise<GatewayHandle> {
  return (await startStack({ gateway: { keys: [UPSTREAM_KEY] }, gatewayOptions: options })).gateway;
}

function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('gateway handlers in process', () => {
  it('generateContent, a stream and ops routes answer through fetch() without a socket', async () => {
    const gw = await setup();
    const answer = await gw.fetch(
      new Request('http://gateway/v1beta/models/gemini-2.5-flash:generateContent', {
        method: 'POST',
        body: JSON.stringify(hello),
      }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
    const body = (await answer.json()) as { candidates: { content: { parts: { text: string }[] } }[] };
    expect(body.candidates[0]!.content.parts[0]!.text.length).toBeGreaterThan(5);

    const stream = await gw.fetch(
      new Request('http://gateway/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
        method: 'POST',
        body: JSON.stringify(hello),
      }),
    );
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const events = (await stream.text()).split(/\r?\n\r?\n/).filter((event) => event.startsWith('data: '));
    expect(events.length).toBeGreaterThan(1);

    const ready = await gw.fetch(new Request('http://gateway/readyz'));
    expect(await ready.json()).toMatchObject({ ready: true, usableKeys: 1 });
    const metrics = await (await gw.fetch(new Request('http://gateway/metrics'))).text();
    expect(metrics).toMatch(/gemwarden_requests_total\{route="gemini",status="200"\} 2/);
  });

  it("routes nobody serves get a 404 in the path's own format", async () => {
    const gw = await setup();
    const gemini = await gw.fetch(
      new Request('http://gateway/v1beta2/models/x:generateContent', { method: 'POST', body: '{}' }),
    );
    expect(gemini.status).toBe(404);
    expect(((await gemini.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND');
    const elsewhere = await gw.fetch(new Request('http://gateway/v2/anything', { method: 'POST', body: '{}' }));
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND');
  });

  it('the router takes the first route that matches method and path', async () => {
    const router = createRouter(
      [
        { name: 'a', methods: ['GET'], path: '/x', handler: async () => new Response('get x') },
        { name: 'b', path: /^\/x/, handler: async () => new Response('any x') },
      ],
      async () => new Response('none', { status: 404 }),
    );
    const call = async (method: string, path: string) => {
      const request = new Request(`http://h${path}`, { method });
      return (await router(request, { url: new URL(request.url) })).text();
    };
    expect(await call('GET', '/x')).toBe('get x');
    expect(await call('POST', '/x')).toBe('any x');
    expect(await call('GET', '/xy')).toBe('any x');
    expect(await call('GET', '/y')).toBe('none');
  });
});

describe('gateway server', () => {
  it("answers the HTTP parser's own errors in Gemini's envelope", async () => {
    const gw = await setup();
    const bad = await rawExchange(gw.port, 'NOT A REQUEST\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT' },
    });
    const huge = await rawExchange(gw.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).error.code).toBe(431);
  });

  it('writes one log line per request, with the outcome and no key or token', async () => {
    const logs = new PassThrough();
    let text = '';
    logs.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const gw = await setup({ logger: true, logDestination: logs });
    await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent?key=secret-token-abcd`, {
      method: 'POST',
      body: JSON.stringify(hello),
    }).then((response) => response.text());
    await fetch(`${gw.url}/nope`).then((response) => response.text());
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.method !== undefined);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: 'POST', status: 200, model: 'gemini-2.5-flash', attempts: 1 });
    expect(lines[1]).toMatchObject({ method: 'GET', url: '/nope', status: 404 });
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain(UPSTREAM_KEY);
  });
});
