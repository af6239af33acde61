// Two gateways sharing one Redis: a file uploaded through one is used through the other, at the
// project that owns it (the second gateway holds the projects' keys in the opposite order).
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const A = { key: 'key-alpha-00000001', project: 'alpha' };
const B = { key: 'key-beta-000000002', project: 'beta' };

let emulator: EmulatorHandle | undefined;
let redis: RedisServer | undefined;
const gateways: GatewayHandle[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  await emulator?.close();
  await redis?.stop();
  emulator = undefined;
  redis = undefined;
});

describe('pass-through owners shared through Redis', () => {
  it('routes a file uploaded through one gateway to its project through another', async () => {
    redis = await startRedis();
    emulator = await startEmulator({ keys: [A, B] });
    for (const keys of [
      [A, B],
      [B, A],
    ]) {
      gateways.push(
        await startGateway(gatewayConfigSchema.parse({ upstream: emulator.url, keys, redis: redis.url }), {
          port: 0,
          logger: false,
        }),
      );
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
