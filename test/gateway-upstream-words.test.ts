// Do no harm (issue 15): where the gateway cannot improve a failure, the client reads the
// upstream's own words and the upstream's own verdict, never a message of ours in their place.
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayConfig, type GatewayHandle } from '../src/gateway/index.js';
import { hello, post } from './helpers/http.js';

const KEY = `AIza${''}SyWordsWordsWordsWordsWordsWords2222`;
let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.close();
  await emulator?.close();
  gateway = undefined;
  emulator = undefined;
});

async function setup(emulatorConfig: EmulatorConfig, config: GatewayConfig = {}): Promise<GatewayHandle> {
  emulator = await startEmulator(emulatorConfig);
  gateway = await startGateway(gatewayConfigSchema.parse({ upstream: emulator.url, keys: [KEY], ...config }), {
    port: 0,
    logger: false,
  });
  return gateway;
}

interface ErrorBody {
  error: { code: number; message: string; status: string; gemwarden?: { attempts: number } };
}

describe("the upstream's own words", () => {
  it("giving up after several attempts keeps Google's message; the count is in the gemwarden member", async () => {
    const gw = await setup({ faults: [{ status: 500 }] }, { maxAttempts: 3 });
    const direct = await post(emulator!.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      'x-goog-api-key': KEY,
    });
    const through = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    const directBody = direct.json as ErrorBody;
    const body = through.json as ErrorBody;
    expect(through.status).toBe(direct.status);
    expect(body.error.message).toBe(directBody.error.message);
    expect(body.error.status).toBe(directBody.error.status);
    expect(body.error.gemwarden?.attempts).toBe(3);
  });

  it('a model the upstream does not know is asked again on every call, each getting the upstream 404 for its method', async () => {
    const gw = await setup({});
    const model = 'gemini-0.0-none';
    for (const method of ['generateContent', 'generateContent', 'countTokens']) {
      const direct = await post(emulator!.url, `/v1beta/models/${model}:${method}`, hello, { 'x-goog-api-key': KEY });
      const through = await post(gw.url, `/v1beta/models/${model}:${method}`, hello);
      expect(through.status).toBe(404);
      expect((through.json as ErrorBody).error.message).toBe((direct.json as ErrorBody).error.message);
      expect(through.headers.get('x-gemwarden-attempts')).toBe('1');
    }
  });
});
