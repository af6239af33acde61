// Do no harm (issue 15): where the gateway cannot improve a failure, the client reads the
// upstream's own words and the upstream's own verdict, never a message of ours in their place.
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import { hello, post } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const KEY = `AIza${''}SyWordsWordsWordsWordsWordsWords2222`;
let emulator: EmulatorHandle | undefined;

async function setup(emulatorConfig: EmulatorConfig, config: GatewayConfig = {}): Promise<GatewayHandle> {
  const stack = await startStack({ emulator: emulatorConfig, gateway: { keys: [KEY], ...config } });
  emulator = stack.emulator;
  return stack.gateway;
}

interface ErrorBody {
  error: { code: number; message: string; status: string; gemwarden?: { attempts: number } };
}

describe("the upstream's own words", () => {
  it("giving up after several attempts keeps Google's message; the count is in the gemwarden member", async () => {
    const gw = await setup({ faults: [{ status: 503 }] }, { maxAttempts: 3 });
    const direct = await post(emulator!.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      'x-goog-api-key': KEY,
    });
    const through = await post(gw.url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    const directBody = direct.json as ErrorBody;
    const body = through.json as ErrorBody;
    expect(through.status).toBe(direct.status);
    expect(body.error.status).toBe(directBody.error.status);
    // The emulator words its 503s in turn as Google does (three messages seen in the wild); the
    // gateway's answer carries the last one verbatim, with nothing of ours appended.
    const googleWords = [
      'The model is overloaded. Please try again later.',
      'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
      'The service is currently unavailable.',
    ];
    expect(googleWords).toContain(directBody.error.message);
    expect(googleWords).toContain(body.error.message);
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
