// The resilient client against the emulator over real sockets: every remedy of the default policy.
import { describe, expect, it } from 'vitest';
import { createClient, GeminiError, type GeminiClient, type PipelineEvents } from '../src/index.js';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import { hello, post } from './helpers/http.js';
import { recordingFetch } from './helpers/recording-fetch.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
async function start(config: EmulatorConfig): Promise<EmulatorHandle> {
  emulator = await startTestEmulator(config);
  return emulator;
}

function record(client: GeminiClient): Array<[string, unknown]> {
  const seen: Array<[string, unknown]> = [];
  for (const name of [
    'attempt-failed',
    'retry-scheduled',
    'model-fallback',
    'key-disabled',
    'key-parked',
    'circuit-opened',
    'circuit-closed',
    'quota-waited',
  ] as const) {
    client.on(name, (payload: PipelineEvents[typeof name]) => seen.push([name, payload]));
  }
  return seen;
}

const FAST = { backoff: { baseMs: 20, maxMs: 100 } };

async function failureOf(promise: Promise<unknown>): Promise<GeminiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GeminiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('client: overload and circuits', () => {
  it('answers from the fallback while pro is down, then skips pro while its circuit is open', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', status: 503, forMs: 60_000 }] });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      breaker: { failureThreshold: 2 },
      ...FAST,
    });
    const events = record(client);
    const first = await client.generateContent('gemini-2.5-pro', hello);
    expect(first.model).toBe('gemini-2.5-flash');
    expect(first.attempts.map((a) => [a.model, a.kind ?? 'ok'])).toEqual([
      ['gemini-2.5-pro', 'unavailable'],
      ['gemini-2.5-pro', 'unavailable'],
      ['gemini-2.5-flash', 'ok'],
    ]);
    await client.generateContent('gemini-2.5-pro', hello); // a second call failing on pro opens the circuit
    expect(events.some(([name]) => name === 'circuit-opened')).toBe(true);
    const proCalls = emu.stats().byModel['gemini-2.5-pro'];
    for (let i = 0; i < 5; i++)
      expect((await client.generateContent('gemini-2.5-pro', hello)).model).toBe('gemini-2.5-flash');
    expect(emu.stats().byModel['gemini-2.5-pro']).toBe(proCalls);
    expect((await client.snapshot()).circuits.find((c) => c.model === 'gemini-2.5-pro')?.state).toBe('open');
  });

  it('probes pro again after the cool-down and closes the circuit when it recovers', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', status: 503, first: 3 }] });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      breaker: { failureThreshold: 2, cooldownMs: 300 },
      ...FAST,
    });
    const events = record(client);
    await client.generateContent('gemini-2.5-pro', hello);
    await client.generateContent('gemini-2.5-pro', hello);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await client.generateContent('gemini-2.5-pro', hello)).model).toBe('gemini-2.5-pro');
    expect(events.some(([name]) => name === 'circuit-closed')).toBe(true);
  });
});

describe('client: quotas', () => {
  it('never retries a 429 sooner than the server asked', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { rpm: 1 } }, clock: { minuteMs: 3000 } });
    const recorder = recordingFetch();
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fetch: recorder.fetch,
      quotaWindows: { minuteMs: 3000 },
    });
    const events = record(client);
    await client.generateContent('gemini-2.5-flash', hello);
    const second = await client.generateContent('gemini-2.5-flash', hello);
    expect(second.attempts.map((a) => a.kind ?? 'ok')).toEqual(['rate_limited', 'ok']);
    const failed = events.find(([name]) => name === 'attempt-failed');
    expect(failed).toBeDefined();
    const [, refused, retried] = recorder.sent;
    const stats = emu.stats();
    expect(stats.byStatus['429']).toBe(1);
    // the retry went out no sooner than the refusal's delay after the refused request was answered
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(second.attempts[1]!.waitedMs);
    expect(second.attempts[1]!.waitedMs).toBeGreaterThan(1000);
  });

  it('uses another project at once while one project rests', async () => {
    const emu = await start({
      keys: [
        { key: 'k-p1-0001', project: 'p1' },
        { key: 'k-p2-0002', project: 'p2' },
      ],
      models: { 'gemini-2.5-flash': { rpm: 1 } },
      clock: { minuteMs: 60_000 },
    });
    const client = createClient({
      keys: [
        { key: 'k-p1-0001', project: 'p1' },
        { key: 'k-p2-0002', project: 'p2' },
      ],
      baseUrl: emu.url,
    });
    await client.generateContent('gemini-2.5-flash', hello);
    await client.generateContent('gemini-2.5-flash', hello);
    const third = await failureOf(client.generateContent('gemini-2.5-flash', hello, { deadlineMs: 2000 }));
    expect(third.kind).toBe('rate_limited');
    expect(third.message).toMatch(/after the deadline/);
    expect(emu.stats().byProject).toMatchObject({ p1: 2, p2: 2 });
  });

  it('a spent daily quota on one project moves to another project without waiting', async () => {
    const emu = await start({
      keys: [
        { key: 'k-p1-0001', project: 'p1' },
        { key: 'k-p2-0002', project: 'p2' },
      ],
      models: { 'gemini-2.5-pro': { rpd: 1 } },
    });
    await post(emu.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, { 'x-goog-api-key': 'k-p1-0001' });
    const client = createClient({
      keys: [
        { key: 'k-p1-0001', project: 'p1' },
        { key: 'k-p2-0002', project: 'p2' },
      ],
      baseUrl: emu.url,
    });
    const events = record(client);
    const result = await client.generateContent('gemini-2.5-pro', hello);
    expect(result.attempts.map((a) => [a.keyHint, a.kind ?? 'ok', a.waitedMs])).toEqual([
      ['…', 'quota_exhausted', 0],
      ['…', 'ok', 0],
    ]);
    const parked = events.find(([name]) => name === 'key-parked')?.[1] as PipelineEvents['key-parked'];
    expect(parked).toMatchObject({ project: 'p1', model: 'gemini-2.5-pro', reason: 'daily quota spent' });
    expect(parked.until).toBeGreaterThan(Date.now());
    // the parked pair is not tried again (a short deadline: within the default one of the real
    // Pacific midnight, the call would rightly wait for the reset)
    await client.generateContent('gemini-2.5-pro', hello, { deadlineMs: 2_000 }).catch(() => undefined);
    expect(emu.stats().byProject.p1).toBe(2);
  });

  it('with every project spent, falls back to the next model', async () => {
    const emu = await start({ models: { 'gemini-2.5-pro': { rpd: 0 } } });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
    });
    const events = record(client);
    expect((await client.generateContent('gemini-2.5-pro', hello)).model).toBe('gemini-2.5-flash');
    expect(events.find(([name]) => name === 'model-fallback')?.[1]).toMatchObject({
      from: 'gemini-2.5-pro',
      to: 'gemini-2.5-flash',
    });
    const only = createClient({ keys: ['key-0001'], baseUrl: emu.url });
    const error = await failureOf(only.generateContent('gemini-2.5-pro', hello));
    expect(error.kind).toBe('quota_exhausted');
  });
});

describe('client: keys', () => {
  it('takes an invalid key out and succeeds with the others', async () => {
    const emu = await start({ keys: [{ key: 'good-key-0001' }, { key: 'dead-key-0002', state: 'invalid' }] });
    const client = createClient({ keys: ['dead-key-0002', 'good-key-0001'], baseUrl: emu.url });
    const events = record(client);
    expect((await client.generateContent('gemini-2.5-flash', hello)).attempts.map((a) => a.kind ?? 'ok')).toEqual([
      'api_key_invalid',
      'ok',
    ]);
    await client.generateContent('gemini-2.5-flash', hello);
    expect(emu.stats().byStatus['400']).toBe(1);
    expect(events.find(([name]) => name === 'key-disabled')?.[1]).toMatchObject({
      keyHint: '…0002',
      reason: 'API key not valid',
    });
    expect((await client.snapshot()).keys.filter((key) => !key.healthy)).toHaveLength(1);
  });

  it('fails with the explanation when no key is left', async () => {
    const emu = await start({ keys: [{ key: 'suspended-key-9999', state: 'suspended' }] });
    const client = createClient({ keys: ['suspended-key-9999'], baseUrl: emu.url });
    const error = await failureOf(client.generateContent('gemini-2.5-flash', hello));
    expect(error.kind).toBe('permission_denied');
    expect(error.reason).toBe('CONSUMER_SUSPENDED');
    expect(error.attempts).toHaveLength(1);
  });

  it('sends keys only in the header and never shows them in errors', async () => {
    const key = `AIza${''}SyDdDdDdDdDdDdDdDdDdDdDdDdDdDdDd9876`;
    const emu = await start({ keys: [{ key, state: 'suspended' }] });
    const recorder = recordingFetch();
    const client = createClient({ keys: [key], baseUrl: emu.url, fetch: recorder.fetch });
    const error = await failureOf(client.generateContent('gemini-2.5-flash', hello));
    expect(recorder.sent.every((sent) => !sent.url.includes(key) && sent.key === key)).toBe(true);
    expect(JSON.stringify(error.toJSON())).not.toContain(key);
    expect(error.keyHint).toBe('…9876');
  });
});

describe('client: 500, 504, 404 and fail-fast kinds', () => {
  it('500: retries once, shrinks, then falls back', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', status: 500 }] });
    const shrunk: number[] = [];
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      ...FAST,
      shrink: (request) => {
        if (request.contents.length <= 1) return undefined;
        shrunk.push(request.contents.length);
        return { ...request, contents: request.contents.slice(-1) };
      },
    });
    const long = {
      contents: [
        { role: 'user', parts: [{ text: 'a' }] },
        { role: 'model', parts: [{ text: 'b' }] },
        { role: 'user', parts: [{ text: 'c' }] },
      ],
    };
    const result = await client.generateContent('gemini-2.5-pro', long);
    expect(shrunk).toEqual([3]);
    expect(result.model).toBe('gemini-2.5-flash');
    // retry once, shrink, the shrunk request fails twice too and cannot shrink further: next model
    // (one call's failures count once against pro's circuit, so the breaker does not cut this short)
    expect(result.attempts.map((a) => a.kind ?? 'ok')).toEqual(['internal', 'internal', 'internal', 'internal', 'ok']);
  });

  it('500 for a large input: shrinking makes it fit', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { internalErrorAboveTokens: 50 } } });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      ...FAST,
      shrink: (request) => ({ ...request, contents: [{ role: 'user', parts: [{ text: 'short' }] }] }),
    });
    const result = await client.generateContent('gemini-2.5-flash', {
      contents: [{ parts: [{ text: 'x'.repeat(1000) }] }],
    });
    expect(result.attempts.map((a) => a.kind ?? 'ok')).toEqual(['internal', 'internal', 'ok']);
  });

  it('timeouts: a longer timeout with X-Server-Timeout of at least 10 s, then the next model', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', latencyMs: 2000 }] });
    const recorder = recordingFetch();
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fetch: recorder.fetch,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      timeout: { initialMs: 150, maxMs: 1000 },
    });
    const result = await client.generateContent('gemini-2.5-pro', hello);
    expect(result.model).toBe('gemini-2.5-flash');
    expect(result.attempts.map((a) => a.kind ?? 'ok')).toEqual(['timeout', 'timeout', 'ok']);
    expect(result.attempts[1]!.durationMs).toBeGreaterThan(result.attempts[0]!.durationMs);
    expect(recorder.sent.map((sent) => Number(sent.headers['x-server-timeout']))).toEqual([10, 10, 10]);
  });

  it('not found: drops the model and goes on; alone, fails fast', async () => {
    const emu = await start({});
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-1.0-pro': ['gemini-2.5-flash'] },
    });
    expect((await client.generateContent('gemini-1.0-pro', hello)).model).toBe('gemini-2.5-flash');
    expect((await client.snapshot()).droppedModels['gemini-1.0-pro']).toMatch(/not found/);
    const error = await failureOf(client.generateContent('gemini-0-ultra', hello));
    expect(error.kind).toBe('not_found');
    expect(error.attempts).toHaveLength(1);
  });

  it.each([
    ['invalid_request', { keys: undefined }, { contents: [{ role: 'robot', parts: [{ text: 'x' }] }] }],
    ['location_unsupported', { keys: [{ key: 'key-0001', state: 'location_unsupported' as const }] }, hello],
  ])('%s fails fast after one attempt', async (kind, config, body) => {
    const emu = await start(config.keys ? { keys: config.keys } : {});
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
    });
    const error = await failureOf(client.generateContent('gemini-2.5-pro', body));
    expect(error.kind).toBe(kind);
    expect(error.attempts).toHaveLength(1);
  });

  it('blocked fails fast, or falls back when asked', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', finishReason: 'SAFETY' }] });
    const strict = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
    });
    expect((await failureOf(strict.generateContent('gemini-2.5-pro', hello))).kind).toBe('blocked');
    const lenient = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      fallbackOnBlocked: true,
    });
    expect((await lenient.generateContent('gemini-2.5-pro', hello)).model).toBe('gemini-2.5-flash');
  });
});

describe('client: bounds', () => {
  it('an abort stops everything at once and is never retried', async () => {
    const emu = await start({ faults: [{ status: 503 }] });
    const client = createClient({ keys: ['key-0001'], baseUrl: emu.url, backoff: { baseMs: 5000, maxMs: 5000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await failureOf(client.generateContent('gemini-2.5-flash', hello, { signal: controller.signal }));
    expect(error.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(emu.stats().total).toBeLessThanOrEqual(2);
  });

  it('the retry budget stops a storm', async () => {
    const emu = await start({ faults: [{ status: 503 }] });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      ...FAST,
      retryBudget: { ratio: 0, minPerWindow: 1, windowMs: 60_000 },
    });
    const first = await failureOf(client.generateContent('gemini-2.5-flash', hello));
    expect(first.attempts).toHaveLength(2);
    expect(first.message).toMatch(/retry budget/);
    expect((await failureOf(client.generateContent('gemini-2.5-flash', hello))).attempts).toHaveLength(1);
  });

  it('maxAttempts bounds a call', async () => {
    const emu = await start({ faults: [{ status: 503 }] });
    const client = createClient({ keys: ['key-0001'], baseUrl: emu.url, ...FAST, maxAttempts: 3 });
    const error = await failureOf(client.generateContent('gemini-2.5-flash', hello));
    expect(error.attempts).toHaveLength(3);
    expect(error.kind).toBe('unavailable');
  });

  it('refuses options that cannot work when the client is made, naming the option', () => {
    expect(() => createClient({ keys: ['key-0001'], maxAttempts: 0 })).toThrow(
      /createClient: maxAttempts must be an integer ≥ 1 \(got 0\)/,
    );
    expect(() => createClient({ keys: ['key-0001'], backoff: { baseMs: Number.NaN } })).toThrow(/backoff\.baseMs/);
  });
});

describe('client: streams', () => {
  it('retries and falls back before the first chunk', async () => {
    const emu = await start({ faults: [{ model: 'gemini-2.5-pro', status: 503 }] });
    const client = createClient({
      keys: ['key-0001'],
      baseUrl: emu.url,
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
      ...FAST,
    });
    const stream = client.generateContentStream('gemini-2.5-pro', hello);
    let text = '';
    for await (const chunk of stream) text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
    expect(stream.model).toBe('gemini-2.5-flash');
    expect(text.length).toBeGreaterThan(10);
  });

  it('after the first chunk, a broken stream ends with a typed error carrying the partial text', async () => {
    const emu = await start({ faults: [{ status: 503, midStream: true }] });
    const client = createClient({ keys: ['key-0001'], baseUrl: emu.url });
    const received: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of client.generateContentStream('gemini-2.5-flash', hello))
          received.push(chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '');
      })(),
    );
    expect(received.length).toBeGreaterThan(0);
    expect(error.kind).toBe('unavailable');
    expect(error.source).toBe('stream');
    expect(error.partialText).toBe(received.join(''));
    expect(emu.stats().total).toBe(1);
  });

  it('a stream blocked at once is a blocked error, not an empty success', async () => {
    const emu = await start({ faults: [{ blockReason: 'PROHIBITED_CONTENT' }] });
    const client = createClient({ keys: ['key-0001'], baseUrl: emu.url });
    const error = await failureOf(
      (async () => {
        for await (const chunk of client.generateContentStream('gemini-2.5-flash', hello)) void chunk;
      })(),
    );
    expect(error.kind).toBe('blocked');
    expect(error.blockReason).toBe('PROHIBITED_CONTENT');
  });
});
