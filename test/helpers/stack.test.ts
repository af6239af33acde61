// The shared test stack itself: it starts what it is asked for, serves real requests through the
// gateway, and closes everything (gateway first, then the emulator) when the test or block ends.
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { hello, post } from './http.js';
import { startStack, STACK_KEY, useStack, type Stack } from './stack.js';

/** Whether something still accepts TCP connections on this loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startStack', () => {
  let leftOpen: { emulator: number; gateway: number } | undefined;

  it('puts a gateway with STACK_KEY in front of the emulator and serves the SDKs', async () => {
    const stack = await startStack({ emulator: { keys: [{ key: STACK_KEY, project: 'alpha' }] } });
    expect(stack.url).toBe(stack.gateway.url);
    expect(stack.upstreamUrl).toBe(stack.emulator.url);
    const answer = await stack.genai().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });
    expect(answer.text).toBeTruthy();
    const chat = await stack.openai().chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    // The emulator only knows STACK_KEY, so both calls went upstream with the stack's key.
    expect(stack.emulator.stats().byProject.alpha).toBe(2);
    leftOpen = { emulator: stack.emulator.port, gateway: stack.gateway.port };
  });

  it('closed the previous test’s gateway and emulator when that test finished', async () => {
    expect(leftOpen).toBeDefined();
    expect(await listening(leftOpen!.gateway)).toBe(false);
    expect(await listening(leftOpen!.emulator)).toBe(false);
  });

  it('closes the gateway before the emulator, deferred parts first, and only once', async () => {
    const stack = await startStack({ gateway: false });
    const order: string[] = [];
    const extra = await stack.addGateway();
    expect((await post(extra.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    stack.defer(() => order.push('deferred'));
    const emulator = stack.emulator;
    const close = emulator.close.bind(emulator);
    emulator.close = async () => {
      order.push(`emulator, gateway open: ${String(await listening(extra.port))}`);
      await close();
    };
    await stack.close();
    await stack.close();
    expect(order).toEqual(['deferred', 'emulator, gateway open: false']);
  });

  it('without a gateway, url is the emulator and reading the gateway says why it is missing', async () => {
    const stack = await startStack({ gateway: false });
    expect(stack.url).toBe(stack.emulator.url);
    expect(() => stack.gateway).toThrow(/gateway: false/);
    expect(() => stack.redis).toThrow(/redis: true/);
  });

  it('an invalid gateway config fails the start and leaves no emulator running', async () => {
    let port: number | undefined;
    await expect(
      startStack({
        upstream: async () => {
          const stack = await startStack({ gateway: false });
          port = stack.emulator.port;
          return { url: stack.url, close: () => stack.close() };
        },
        gateway: { maxAttempts: -1 },
      }),
    ).rejects.toThrow();
    expect(port).toBeDefined();
    expect(await listening(port!)).toBe(false);
  });
});

describe('useStack', () => {
  let shared: Stack | undefined;
  let port: number | undefined;
  describe('a block with one stack', () => {
    shared = useStack({
      emulator: { keys: [{ key: 'key-shared-0001', project: 'one' }] },
      gateway: { keys: ['key-shared-0001'] },
    });
    it('is started for the block and shared by its tests', async () => {
      expect((await post(shared!.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
      port = shared!.gateway.port;
    });
    it('is the same stack in the next test', () => {
      expect(shared!.gateway.port).toBe(port);
      expect(shared!.emulator.stats().byProject.one).toBe(1);
    });
  });
  afterAll(async () => {
    // The block's afterAll ran: its gateway no longer listens and reading the stack says so.
    expect(await listening(port!)).toBe(false);
    expect(() => shared!.url).toThrow(/no started parts/);
  });
});
