// Key probes on the fake clock, against the emulator's handler in process: the schedule (1 minute,
// doubling, capped at 1 hour), the probe call (never a generation), the verdicts, and the events.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/client/index.js';
import {
  createEmulatorHandler,
  emulatorConfigSchema,
  startEmulator,
  type EmulatorHandle,
} from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';
import { createGeminiError } from '../src/errors/index.js';
import { KeyPool, type KeyOutage } from '../src/policy/index.js';
import { FakeClock } from '../src/time/index.js';
import { probeVerdict } from '../src/pipeline/key-prober.js';
import { hello as helloBody, post, request, sleep } from './helpers/http.js';

const A = `AIza${''}SyProbeProbeProbeProbeProbeProbeAAAA`;
const B = `AIza${''}SyProbeProbeProbeProbeProbeProbeBBBB`;
const MINUTE = 60_000;

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 10, 30, 12));
  const emulator = createEmulatorHandler(
    emulatorConfigSchema.parse({
      keys: [
        { key: A, project: 'pa' },
        { key: B, project: 'pb' },
      ],
    }),
    clock,
  );
  const sent: Array<{ method: string; path: string; key: string }> = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push({
      method: request.method,
      path: new URL(request.url).pathname,
      key: request.headers.get('x-goog-api-key') ?? '',
    });
    return emulator.fetch(request);
  };
  const client = createClient({
    keys: [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ],
    baseUrl: 'http://emulator.test',
    fetch,
    clock,
    maxAttempts: 4,
  });
  const events: Array<{ name: string; payload: unknown }> = [];
  for (const name of ['key-disabled', 'key-probe', 'key-restored'] as const)
    client.on(name, (payload) => events.push({ name, payload }));
  const setState = (key: string, state: string) => {
    emulator.state.keyStates.set(key, state as never);
  };
  return { clock, client, sent, events, setState };
}

const hello = { contents: [{ role: 'user' as const, parts: [{ text: 'Hello' }] }] };

/** Lets the probe's fetch and the emulator's answer settle on the fake clock. */
async function settle(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 20; i++) await clock.advance(0);
}

describe('key probes', () => {
  it('a suspended key leaves at once, is probed at 1, 2, 4 … minutes with models.get, and returns when healthy', async () => {
    const { clock, client, sent, events, setState } = setup();
    setState(A, 'suspended');
    // Both keys are tried in turn: A fails with 403 and leaves; B answers.
    for (let i = 0; i < 3; i++) expect((await client.generateContent('gemini-2.5-flash', hello)).text).toBeTruthy();
    const aCalls = () => sent.filter((call) => call.key === A);
    expect(aCalls()).toHaveLength(1);
    const outage = client.keys.outage(client.keys.keys[0]!);
    expect(outage).toMatchObject({ reason: expect.stringMatching(/CONSUMER_SUSPENDED/), failedProbes: 0 });
    expect(outage!.nextProbeAt - outage!.since).toBe(MINUTE);

    // Still suspended: probes at +1 min, then +2, then +4, each a models.get, never a generation.
    for (const interval of [1, 2, 4]) {
      const before = aCalls().length;
      await clock.advance(interval * MINUTE - 1);
      await settle(clock);
      expect(aCalls()).toHaveLength(before);
      await clock.advance(1);
      await settle(clock);
      expect(aCalls()).toHaveLength(before + 1);
      expect(aCalls().at(-1)).toMatchObject({ method: 'GET', path: '/v1beta/models/gemini-2.5-flash' });
    }
    const probes = events.filter((event) => event.name === 'key-probe');
    expect(probes.map((event) => event.payload)).toEqual([
      expect.objectContaining({ ok: false, nextProbeInMs: 2 * MINUTE }),
      expect.objectContaining({ ok: false, nextProbeInMs: 4 * MINUTE }),
      expect.objectContaining({ ok: false, nextProbeInMs: 8 * MINUTE }),
    ]);
    expect(client.keys.usable('gemini-2.5-flash')).toHaveLength(1);

    // Fixed: the next probe (8 minutes on) puts it back, and calls use it again.
    setState(A, 'active');
    await clock.advance(8 * MINUTE);
    await settle(clock);
    const restored = events.find((event) => event.name === 'key-restored');
    expect(restored?.payload).toEqual({ keyHint: '…AAAA', project: 'pa', downForMs: 15 * MINUTE });
    expect(client.keys.usable('gemini-2.5-flash')).toHaveLength(2);
    expect(client.keys.nextProbeAt()).toBeUndefined();
    for (let i = 0; i < 2; i++) await client.generateContent('gemini-2.5-flash', hello);
    expect(sent.filter((call) => call.key === A && call.method === 'POST').length).toBeGreaterThan(1);
    const snapshot = await client.snapshot();
    expect(snapshot.keys[0]).toMatchObject({ healthy: true, outages: [] });
    expect(JSON.stringify(snapshot)).not.toContain(A);
    await client.close();
  });

  it('the interval doubles up to the one-hour cap, and a close stops the timer', async () => {
    const { clock, client, sent, setState } = setup();
    setState(A, 'expired');
    await client.generateContent('gemini-2.5-flash', hello);
    const outage = client.keys.outage(client.keys.keys[0]!)!;
    for (let i = 0; i < 8; i++) {
      await clock.advance(outage.nextProbeAt - clock.now());
      await settle(clock);
    }
    expect(outage.intervalMs).toBe(60 * MINUTE);
    expect(outage.failedProbes).toBe(8);
    await client.close();
    const before = sent.length;
    await clock.advance(2 * 60 * MINUTE);
    expect(sent).toHaveLength(before);
    expect(clock.pendingSleepers()).toBe(0);
  });
});

describe('key pool outages', () => {
  it('a key taken out again soon after it came back resumes the doubling', () => {
    const pool = new KeyPool([A], { probe: { initialMs: 1000, maxMs: 8000 } });
    const [key] = pool.keys;
    pool.disable(key!, 'suspended', undefined, 0);
    pool.probeFailed(pool.outage(key!)!, 1000);
    expect(pool.outage(key!)!.nextProbeAt).toBe(3000);
    pool.restore(key!, undefined, 3000);
    pool.disable(key!, 'suspended', undefined, 4000);
    expect(pool.outage(key!)!.intervalMs).toBe(4000);
    pool.restore(key!, undefined, 8000);
    pool.disable(key!, 'suspended', undefined, 8000 + 8000); // a long healthy spell starts afresh
    expect(pool.outage(key!)!.intervalMs).toBe(1000);
  });

  it('judges probe failures by blame', () => {
    const whole = { model: undefined } as unknown as KeyOutage;
    const forModel = { model: 'gemini-2.5-pro' } as unknown as KeyOutage;
    const failure = (kind: Parameters<typeof createGeminiError>[0]['kind'], blame: string) =>
      createGeminiError({ kind, message: 'x', blame: blame as never });
    expect(probeVerdict(failure('permission_denied', 'project'), whole)).toBe('out');
    expect(probeVerdict(failure('api_key_invalid', 'key'), whole)).toBe('out');
    expect(probeVerdict(failure('not_found', 'model'), whole)).toBe('healthy');
    expect(probeVerdict(failure('permission_denied', 'model'), forModel)).toBe('out');
    expect(probeVerdict(failure('unavailable', 'capacity'), whole)).toBe('unknown');
    expect(probeVerdict(failure('network', 'network'), whole)).toBe('unknown');
  });
});

describe('key probes through the gateway', () => {
  const emulatorKeys = [
    { key: A, project: 'pa' },
    { key: B, project: 'pb' },
  ];
  let emulator: EmulatorHandle | undefined;
  let gateway: GatewayHandle | undefined;
  afterEach(async () => {
    await gateway?.close();
    await emulator?.close();
    gateway = emulator = undefined;
  });

  async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 400; i++) {
      const value = await check();
      if (value !== undefined) return value;
      await sleep(25);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('a key suspended in the emulator leaves at once and returns within its probe interval once fixed', async () => {
    emulator = await startEmulator({ keys: emulatorKeys });
    gateway = await startGateway(
      gatewayConfigSchema.parse({
        upstream: emulator.url,
        keys: emulatorKeys,
        keyProbe: { initialMs: 300, maxMs: 600 },
        fallbacks: { 'gemini-2.5-flash': [] },
      }),
      { port: 0, logger: false },
    );
    const probes: Array<{ ok: boolean }> = [];
    gateway.client.on('key-probe', (event) => probes.push(event));
    const restored: Array<{ keyHint: string }> = [];
    gateway.client.on('key-restored', (event) => restored.push(event));
    const admin = (state: string) => post(emulator!.url, `/_emulator/keys/${A}`, { state });
    const generate = () => post(gateway!.url, '/v1beta/models/gemini-2.5-flash:generateContent', helloBody);

    expect((await admin('suspended')).status).toBe(200);
    // One 403 took the key out at once: four calls, five attempts, every one answered.
    let attempts = 0;
    for (let i = 0; i < 4; i++) {
      const answer = await generate();
      expect(answer.status).toBe(200);
      attempts += Number(answer.headers.get('x-gemwarden-attempts'));
    }
    expect(attempts).toBe(5);
    const forbidden = () => emulator!.stats().byStatus['403'] ?? 0;
    const status = (await request(`${gateway.url}/status.json`)).json as {
      keys: Array<{ keyHint: string; healthy: boolean; outages: Array<Record<string, unknown>> }>;
    };
    const out = status.keys.find((key) => key.keyHint === '…AAAA')!;
    expect(out.healthy).toBe(false);
    expect(out.outages[0]).toMatchObject({ reason: expect.stringMatching(/CONSUMER_SUSPENDED/) });
    expect(out.outages[0]!.nextProbeAt as number).toBeGreaterThan(out.outages[0]!.since as number);
    expect(JSON.stringify(status)).not.toContain(A);

    await waitFor('a failed probe', () => (probes.some((probe) => !probe.ok) ? true : undefined));
    // Every 403 after the first is a probe's (a probe may be under way while we count).
    expect(forbidden()).toBeGreaterThanOrEqual(1 + probes.length);
    expect(forbidden()).toBeLessThanOrEqual(2 + probes.length);
    expect(restored).toHaveLength(0);

    await admin('active');
    await waitFor('the key to come back', () => restored[0]);
    expect(restored[0]).toMatchObject({ keyHint: '…AAAA', project: 'pa' });
    const ready = await request(`${gateway.url}/readyz`);
    expect(ready.json).toMatchObject({ ready: true, usableKeys: 2 });
    const before = emulator.stats().byProject['pa'] ?? 0;
    for (let i = 0; i < 4; i++) expect((await generate()).status).toBe(200);
    expect(emulator.stats().byProject['pa']).toBeGreaterThan(before);
    const after = (await request(`${gateway.url}/status.json`)).json as typeof status;
    expect(after.keys.find((key) => key.keyHint === '…AAAA')).toMatchObject({ healthy: true, outages: [] });
    expect(
      ((await request(`${gateway.url}/status.json`)).json as { activity: Array<{ text: string }> }).activity.some(
        (entry) => /key …AAAA is back/.test(entry.text),
      ),
    ).toBe(true);
  });
});
