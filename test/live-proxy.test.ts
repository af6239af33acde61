// Live sessions through the gateway when the upstream refuses the setup, over real WebSockets with
// @google/genai and the emulator's Live endpoint. Every upstream connection the gateway opens is
// counted by a TCP relay between the two. A refusal another key cannot fix (an unknown model, an
// unavailable service) reaches the client at once, tried on one key; a project's spent quota moves
// the session to another project, skipping the refused project's other keys.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { GoogleGenAI, type LiveServerMessage } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';

const A1 = { key: 'key-alpha-live-0001', project: 'alpha' };
const A2 = { key: 'key-alpha-live-0002', project: 'alpha' };
const B = { key: 'key-beta-live-00003', project: 'beta' };

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;
let relay: { server: Server; sockets: Set<Socket>; connections: number } | undefined;
afterEach(async () => {
  await gateway?.close();
  if (relay) {
    for (const socket of relay.sockets) socket.destroy();
    await new Promise((resolve) => relay!.server.close(resolve));
  }
  await emulator?.close();
  gateway = emulator = relay = undefined;
});

/** A TCP relay to `port` that counts the connections made through it. */
async function countingRelay(port: number): Promise<{ url: string }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    relay!.connections++;
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  relay = { server, sockets, connections: 0 };
  const bound = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return { url: `http://127.0.0.1:${bound}` };
}

async function start(keys: Array<{ key: string; project: string }>, emulatorConfig: EmulatorConfig = {}) {
  emulator = await startEmulator({ keys: [A1, A2, B], ...emulatorConfig });
  const upstream = await countingRelay(emulator.port);
  gateway = await startGateway(gatewayConfigSchema.parse({ upstream: upstream.url, keys }), {
    port: 0,
    logger: false,
  });
  return new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: gateway.url } });
}

type Outcome = { text: string } | { code: number; reason: string };

/** One Live session with one text turn: the answer's text, or how the session was closed. */
async function session(sdk: GoogleGenAI, model: string): Promise<Outcome> {
  const parts: string[] = [];
  return new Promise<Outcome>((resolve, reject) => {
    sdk.live
      .connect({
        model,
        callbacks: {
          onmessage: (message: LiveServerMessage) => {
            for (const part of message.serverContent?.modelTurn?.parts ?? []) parts.push(part.text ?? '');
            if (message.serverContent?.turnComplete) resolve({ text: parts.join('') });
          },
          onclose: (event) => resolve({ code: event.code, reason: event.reason }),
        },
      })
      .then((live) => {
        live.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true });
      }, reject);
  });
}

async function healthy(): Promise<Record<string, boolean>> {
  const status = (await (await fetch(`${gateway!.url}/status.json`)).json()) as {
    keys: Array<{ keyHint: string; healthy: boolean }>;
  };
  return Object.fromEntries(status.keys.map((key) => [key.keyHint, key.healthy]));
}

describe('a Live setup refused upstream', () => {
  it("for an unknown model reaches the client with Google's close, tried on one key only", async () => {
    const sdk = await start([A1, A2, B]);
    const outcome = await session(sdk, 'gemini-2.0-flsh');
    expect(outcome).toEqual({
      code: 1008,
      reason: expect.stringContaining('models/gemini-2.0-flsh is not found for API version v1beta') as string,
    });
    expect(relay!.connections).toBe(1);
    expect(Object.values(await healthy())).toEqual([true, true, true]);
    // The same typo sent straight to the emulator closes the same way.
    const direct = await session(
      new GoogleGenAI({ apiKey: B.key, httpOptions: { baseUrl: emulator!.url } }),
      'gemini-2.0-flsh',
    );
    expect(direct).toEqual(outcome);
  });

  it('for an unavailable service reaches the client with 1011, tried on one key only', async () => {
    const sdk = await start([A1, B], { faults: [{ status: 503, first: 1 }] });
    const outcome = await session(sdk, 'gemini-2.0-flash-live-001');
    expect(outcome).toEqual({ code: 1011, reason: 'The service is currently unavailable.' });
    expect(relay!.connections).toBe(1);
  });

  it("for a project's spent quota moves to another project, skipping the refused project's other keys", async () => {
    const sdk = await start([A1, A2, B], { faults: [{ project: 'alpha', status: 429, first: 2 }] });
    const outcome = await session(sdk, 'gemini-2.0-flash-live-001');
    expect(outcome).toMatchObject({ text: expect.any(String) as string });
    expect((outcome as { text: string }).text.length).toBeGreaterThan(0);
    expect(relay!.connections).toBe(2); // alpha's first key, then beta's
    expect(Object.values(await healthy())).toEqual([true, true, true]);
  });

  it('for a key that is not valid takes the key out and sets the session up on the next key', async () => {
    const revoked = { key: 'key-revoked-live-09', project: 'alpha' };
    const sdk = await start([revoked, A2]);
    const outcome = await session(sdk, 'gemini-2.0-flash-live-001');
    expect((outcome as { text: string }).text.length).toBeGreaterThan(0);
    expect(relay!.connections).toBe(2);
    expect(await healthy()).toEqual({ '…e-09': false, '…0002': true });
  });
});
