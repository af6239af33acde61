// Two gateways sharing one Redis: a file uploaded through one is used through the other, at the
// project that owns it (the second gateway holds the projects' keys in the opposite order).
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import type { EmulatorHandle, EmulatorConfig } from '../src/emulator/index.js';
import type { GatewayHandle } from '../src/gateway/index.js';
import { startStack } from './helpers/stack.js';

const A = { key: 'key-alpha-00000001', project: 'alpha' };
const B = { key: 'key-beta-000000002', project: 'beta' };

let emulator: EmulatorHandle | undefined;
const gateways: GatewayHandle[] = [];

/** The emulator, a redis-server and no gateway yet: each test adds the gateways it shares Redis between. */
async function startShared(config: EmulatorConfig) {
  gateways.splice(0);
  const stack = await startStack({ emulator: config, redis: true, gateway: false });
  emulator = stack.emulator;
  return stack;
}

describe('pass-through owners shared through Redis', () => {
  it('routes a file uploaded through one gateway to its project through another', async () => {
    const stack = await startShared({ keys: [A, B] });
    for (const keys of [
      [A, B],
      [B, A],
    ]) {
      gateways.push(await stack.addGateway({ keys }));
    }
    const [first, second] = gateways.map(
      (gateway) => new GoogleGenAI({ apiKey: 't', httpOptions: { baseUrl: gateway.url } }),
    );
    const file = await first!.files.upload({ file: new Blob(['shared words'], { type: 'text/plain' }) });
    const stats = async () =>
      (
        (await (await fetch(`${emulator!.url}/_emulator/resources`)).json()) as {
          byResource: Record<string, Record<string, number>>;
        }
      ).byResource[file.name!] ?? {};
    const owner = Object.keys(await stats());
    expect(owner).toHaveLength(1);
    for (let index = 0; index < 3; index++) {
      const answer = await second!.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [
          { role: 'user', parts: [{ text: 'read' }, { fileData: { fileUri: file.uri!, mimeType: 'text/plain' } }] },
        ],
      });
      expect(answer.text?.length).toBeGreaterThan(0);
      expect((await second!.files.get({ name: file.name! })).name).toBe(file.name);
    }
    // Every call about the file, through either gateway, reached the owner's project only.
    expect(Object.keys(await stats())).toEqual(owner);
  });
});
