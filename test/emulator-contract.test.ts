// The emulator against the error model: every fault and key state it can produce is classified as
// the kind we expect, and each real fixture body has an emulator twin of the same shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, type ErrorKind } from '../src/errors/index.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { fixture } from './helpers/fixtures.js';
import { hello, post, request, type HttpResult } from './helpers/http.js';

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startEmulator({
    keys: [
      { key: 'valid-key-0001', project: 'p1' },
      { key: 'paid-key-0002', project: 'p2', tier: 'tier1' },
      { key: 'suspended-key-0003', state: 'suspended', project: 'p3' },
      { key: 'disabled-key-0004', state: 'service_disabled', project: 'p4' },
      { key: 'blocked-key-0005', state: 'blocked', project: 'p5' },
      { key: 'expired-key-0006', state: 'expired' },
      { key: 'invalid-key-0007', state: 'invalid' },
      { key: 'location-key-0008', state: 'location_unsupported' },
    ],
    models: {
      'gemini-2.5-flash': { tpm: 250000 },
      'day-model': { rpd: 0 },
      'minute-model': { rpm: 1 },
      'small-model': { inputTokenLimit: 1048576 },
      'fault-500': {},
      'fault-502': {},
      'fault-503': {},
      'fault-504': {},
      'fault-429': {},
      'midstream-model': {},
      'safety-model': {},
      'prompt-blocked-model': {},
      'max-tokens-model': {},
    },
    faults: [
      { model: 'fault-500', status: 500 },
      { model: 'fault-502', status: 502 },
      { model: 'fault-503', status: 503 },
      { model: 'fault-504', status: 504 },
      { model: 'fault-429', status: 429 },
      { model: 'midstream-model', status: 503, midStream: true },
      { model: 'safety-model', finishReason: 'SAFETY' },
      { model: 'prompt-blocked-model', blockReason: 'PROHIBITED_CONTENT' },
      { model: 'max-tokens-model', finishReason: 'MAX_TOKENS' },
    ],
  });
});
afterAll(() => emulator.close());

const call = (model: string, key = 'valid-key-0001', body: unknown = hello, method = 'generateContent') =>
  post(emulator.url, `/v1beta/models/${model}:${method}`, body, key ? { 'x-goog-api-key': key } : {});

const kindOf = (result: HttpResult): ErrorKind =>
  classify({ status: result.status, headers: result.headers, body: result.text }).kind;

describe('contract: emulator output → classify', () => {
  const cases: Array<[string, () => Promise<HttpResult>, ErrorKind]> = [
    ['no key', () => call('gemini-2.5-flash', ''), 'permission_denied'],
    ['unknown key', () => call('gemini-2.5-flash', 'who-is-this-key'), 'api_key_invalid'],
    ['invalid key', () => call('gemini-2.5-flash', 'invalid-key-0007'), 'api_key_invalid'],
    ['expired key', () => call('gemini-2.5-flash', 'expired-key-0006'), 'api_key_invalid'],
    ['suspended key', () => call('gemini-2.5-flash', 'suspended-key-0003'), 'permission_denied'],
    ['service disabled', () => call('gemini-2.5-flash', 'disabled-key-0004'), 'permission_denied'],
    ['service blocked', () => call('gemini-2.5-flash', 'blocked-key-0005'), 'permission_denied'],
    ['location unsupported', () => call('gemini-2.5-flash', 'location-key-0008'), 'location_unsupported'],
    ['unknown model', () => call('gemini-0'), 'not_found'],
    ['invalid request', () => call('gemini-2.5-flash', 'valid-key-0001', { contents: [], foo: 1 }), 'invalid_request'],
    [
      'input too large',
      async () => {
        await request(`${emulator.url}/_emulator/config`, {
          method: 'PUT',
          body: JSON.stringify({ models: { 'small-model': { inputTokenLimit: 5 } } }),
        });
        return call('small-model', 'valid-key-0001', { contents: [{ parts: [{ text: 'q'.repeat(100) }] }] });
      },
      'input_too_large',
    ],
    ['no quota on the tier', () => call('day-model'), 'quota_exhausted'],
    [
      'per-minute quota',
      async () => {
        await call('minute-model');
        return call('minute-model');
      },
      'rate_limited',
    ],
    ['capacity 429', () => call('fault-429'), 'rate_limited'],
    ['500', () => call('fault-500'), 'internal'],
    ['502 HTML', () => call('fault-502'), 'unavailable'],
    ['503', () => call('fault-503'), 'unavailable'],
    ['504', () => call('fault-504'), 'deadline_exceeded'],
    ['safety finish', () => call('safety-model'), 'blocked'],
    ['prompt blocked', () => call('prompt-blocked-model'), 'blocked'],
    ['max tokens with no output', () => call('max-tokens-model'), 'truncated'],
  ];
  for (const [name, run, kind] of cases) {
    it(`${name} → ${kind}`, async () => {
      expect(kindOf(await run())).toBe(kind);
    });
  }

  it('a mid-stream failure writes a raw error object that classifies as unavailable', async () => {
    const result = await call('midstream-model', 'valid-key-0001', hello, 'streamGenerateContent?alt=sse');
    expect(result.status).toBe(200);
    const raw = result.text.slice(result.text.indexOf('\n{'));
    expect(classify({ frame: { type: 'error', raw, error: JSON.parse(raw).error } }).kind).toBe('unavailable');
    expect(classify(result.text).kind).toBe('unavailable');
  });
});

function shape(body: unknown): { status?: number; rpc?: string; keys: string[]; details: string[] } {
  const outer = Array.isArray(body) ? body[0] : body;
  const error = (outer as { error?: Record<string, unknown> }).error;
  if (!error) {
    const candidate = (outer as { candidates?: Array<Record<string, unknown>> }).candidates?.[0] ?? {};
    return {
      keys: Object.keys(candidate)
        .filter((key) => key !== 'index')
        .sort(),
      details: [],
      rpc: String(candidate.finishReason),
    };
  }
  const details = (error.details as Array<Record<string, unknown>> | undefined) ?? [];
  return {
    status: error.code as number,
    rpc: error.status as string,
    keys: Object.keys(error).sort(),
    details: details.map((detail) => String(detail['@type'])).sort(),
  };
}

describe('contract: each real fixture has an emulator twin of the same shape', () => {
  const twins: Array<[string, () => Promise<HttpResult>]> = [
    ['200-finish-safety-blocked', () => call('safety-model')],
    ['400-api-key-invalid-errorinfo', () => call('gemini-2.5-flash', 'invalid-key-0007')],
    [
      '400-input-token-count-exceeds',
      () => call('small-model', 'valid-key-0001', { contents: [{ parts: [{ text: 'q'.repeat(100) }] }] }),
    ],
    [
      '400-unknown-field-nested-tools-schema',
      () =>
        call('gemini-2.5-flash', 'valid-key-0001', {
          ...hello,
          tools: [
            {
              function_declarations: [
                {
                  name: 'f',
                  parameters: { type: 'OBJECT', properties: { a: { type: 'ARRAY', items: { ref: '#/x' } } } },
                },
              ],
            },
          ],
        }),
    ],
    ['400-user-location-not-supported', () => call('gemini-2.5-flash', 'location-key-0008')],
    ['403-api-key-service-blocked', () => call('gemini-2.5-flash', 'blocked-key-0005', hello, 'streamGenerateContent')],
    ['403-consumer-suspended', () => call('gemini-2.5-flash', 'suspended-key-0003')],
    ['404-model-not-found-v1beta', () => call('gemini-2.0-pro')],
    [
      '429-free-tier-input-tpm-retryinfo',
      async () => {
        await request(`${emulator.url}/_emulator/config`, {
          method: 'PUT',
          body: JSON.stringify({ models: { 'tpm-model': { tpm: 10 } } }),
        });
        return call('tpm-model', 'valid-key-0001', { contents: [{ parts: [{ text: 'w'.repeat(100) }] }] });
      },
    ],
    ['429-resource-has-been-exhausted-minimal', () => call('fault-429')],
    ['500-internal-troubleshooting', () => call('fault-500')],
    ['503-model-overloaded', () => call('fault-503')],
  ];
  for (const [name, run] of twins) {
    it(name, async () => {
      const real = fixture(name);
      const twin = await run();
      expect(twin.status).toBe(real.httpStatus);
      expect(shape(twin.json)).toEqual(shape(real.body));
    });
  }
});
