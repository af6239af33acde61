// Hostile input against a live gateway (issue 12): every path below is refused in the API's own
// format before any upstream call, and leaves no state behind.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfigFile } from '../src/config/load-file.js';
import type { EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import { ModelLabels } from '../src/gateway/metrics.js';
import { hello, post, request } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const UPSTREAM_KEY = `AIza${''}SyHardenHardenHardenHardenHarden5555`;
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function setup(config: GatewayConfig = {}): Promise<{ gw: GatewayHandle; emu: EmulatorHandle }> {
  const stack = await startStack({ gateway: { keys: [UPSTREAM_KEY], maxAttempts: 2, ...config } });
  return { gw: stack.gateway, emu: stack.emulator };
}

/** Opens a raw connection; resolves with it once connected. Collects what the server sends. */
function open(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const ended = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, ended }));
    socket.once('error', reject);
  });
}

function bodyOf(raw: string): { error: { code: number; status: string; message: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
    error: { code: number; status: string; message: string };
  };
}

describe('input checked before any upstream call', () => {
  it.each([
    ['NUL', 'gemini%00flash'],
    ['CR/LF', 'gemini-2.5-flash%0D%0AX-Injected%20yes'],
    ['a character above U+00FF', 'gemini-%C4%80-flash'],
    ['a space', 'gemini%202.5'],
  ])("a model name with %s gets the API's 400 and nothing goes upstream", async (_name, model) => {
    const { gw, emu } = await setup();
    for (const method of ['generateContent', 'streamGenerateContent?alt=sse', 'countTokens']) {
      const answer = await post(gw.url, `/v1beta/models/${model}:${method}`, hello);
      expect(answer.status).toBe(400);
      expect((answer.json as { error: { status: string; message: string } }).error).toMatchObject({
        status: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/Request\.model: unexpected model name format/),
      });
    }
    const chat = await post(gw.url, '/v1/chat/completions', {
      model: decodeURIComponent(model),
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.status).toBe(400);
    expect((chat.json as { error: { param: string; type: string } }).error).toMatchObject({
      param: 'model',
      type: 'invalid_request_error',
    });
    expect(emu.stats().total).toBe(0);
    expect((await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
  });

  it('deep nesting and __proto__ keys are the request’s fault (400), on both routes', async () => {
    const { gw, emu } = await setup();
    const deep = `{"contents": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const bodies = [
      deep,
      '{"__proto__": {"contents": []}, "contents": [{"parts": [{"text": "hi"}]}]}',
      '{"contents": [{"parts": [{"text": "hi", "__proto__": {"x": 1}}]}]}',
    ];
    for (const body of bodies) {
      const gemini = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', body);
      expect(gemini.status).toBe(400);
      expect((gemini.json as { error: { status: string; message: string } }).error.message).toMatch(
        /^Invalid JSON payload received/,
      );
      const openai = await post(gw.url, '/v1/chat/completions', body.replace('"contents"', '"messages"'));
      expect(openai.status).toBe(400);
      expect((openai.json as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
    expect(emu.stats().total).toBe(0);
  });
});

describe('the server’s own answers', () => {
  it('a request body that does not arrive in time gets a 408 in the envelope', async () => {
    const { gw } = await setup({ receiveTimeoutMs: 300 });
    const { socket, received, ended } = await open(gw.port);
    socket.write(
      'POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"co',
    );
    await ended;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(received()).error).toMatchObject({ code: 408, status: 'DEADLINE_EXCEEDED' });
  });

  it("a kept-alive connection outlives Node's 5 s idle close, so a load balancer reusing it gets an answer", async () => {
    const { gw } = await setup();
    const { socket, received, ended } = await open(gw.port);
    let closed = false;
    void ended.then(() => (closed = true));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let tries = 0; tries < 100 && !/\r\n\r\n/.test(received()); tries++)
      await new Promise((r) => setTimeout(r, 20));
    expect(received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(received()).toMatch(/keep-alive/i);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(closed).toBe(false);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let tries = 0; tries < 100 && (received().match(/HTTP\/1\.1 200 /g) ?? []).length < 2; tries++)
      await new Promise((r) => setTimeout(r, 20));
    expect(received().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  }, 15_000);

  it('beyond the connection cap, a new client gets a 503 with Retry-After, and room comes back', async () => {
    const { gw } = await setup({ maxConnections: 3 });
    const idle = await Promise.all([open(gw.port), open(gw.port), open(gw.port)]);
    // Each idle connection is counted once the server has accepted it.
    await request(`${gw.url}/healthz`, { headers: { connection: 'close' } }).catch(() => undefined);
    const extra = await open(gw.port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await extra.ended;
    expect(extra.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(extra.received()).toMatch(/Retry-After: 1/i);
    expect(bodyOf(extra.received()).error.message).toMatch(/3 connections open/);
    for (const { socket } of idle) socket.destroy();
    let status = 0;
    for (let tries = 0; tries < 50 && status !== 200; tries++) {
      status = (await request(`${gw.url}/healthz`).catch(() => ({ status: 0 }))).status;
    }
    expect(status).toBe(200);
  });
});

describe('bounded state', () => {
  it('model names the upstream does not know create no metric series', async () => {
    const { gw } = await setup({ maxAttempts: 1 });
    for (let index = 0; index < 30; index++) {
      const answer = await post(gw.url, `/v1beta/models/gemini-nope-${index}:generateContent`, hello);
      expect(answer.status).toBe(404);
    }
    const metrics = (await request(`${gw.url}/metrics`)).text;
    expect(metrics).not.toMatch(/gemini-nope-/);
    expect(metrics).toMatch(/gemwarden_upstream_attempts_total\{model="other",outcome="not_found"\} 30/);
  });

  it('model labels stop at the cap; configured models always keep theirs', () => {
    const labels = new ModelLabels(new Set(['gemini-2.5-pro']), 2);
    expect(labels.label('a')).toBe('a');
    expect(labels.label('b', 'unavailable')).toBe('b');
    expect(labels.label('c')).toBe('other');
    expect(labels.label('a')).toBe('a');
    expect(labels.label('gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(labels.label('d', 'not_found')).toBe('other');
  });
});

describe('secrets in config errors', () => {
  const key = `AIza${''}SyConfigConfigConfigConfigConfig8888`;
  it.each([
    ['gateway.yaml', `keys:\n  - ${key}\n   - broken: [\n`],
    ['gateway.yml', `keys:\n  - key: "${key}\n`],
    ['gateway.json', `{"keys": [${key}]}`],
    ['other.json', `{"keys": ["${key}" "second"]}`],
  ])('a syntax error in %s names the place, never the key', (name, text) => {
    const file = join(mkdtempSync(join(tmpdir(), 'gw-config-')), name);
    writeFileSync(file, text);
    let message = '';
    try {
      readConfigFile(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/is not valid (YAML|JSON)/);
    expect(message).not.toContain(key.slice(0, -4));
  });
});
