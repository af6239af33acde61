// A fleet of gateways behaves as one (issue 19): three gateways share one real redis-server and one
// emulator. What a failure teaches one of them (a key suspended, a project's day spent, a model down)
// costs the fleet one upstream failure, not one per gateway; a key fixed upstream comes back on all
// three after one probe; and Redis killed under load and restarted fails no request and is rebuilt.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayConfig, type GatewayHandle } from '../src/gateway/index.js';
import { hello, post, sleep } from './helpers/http.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const A = `AIza${''}SyFleetFleetFleetFleetFleetFleetAAAA`;
const B = `AIza${''}SyFleetFleetFleetFleetFleetFleetBBBB`;

let redis: RedisServer | undefined;
let emulator: EmulatorHandle | undefined;
let gateways: GatewayHandle[] = [];
afterEach(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await emulator?.close();
  await redis?.stop();
  gateways = [];
  emulator = redis = undefined;
});

async function fleet(emulatorConfig: EmulatorConfig, config: GatewayConfig, size = 3): Promise<GatewayHandle[]> {
  redis = await startRedis();
  emulator = await startEmulator(emulatorConfig);
  for (let i = 1; i <= size; i++)
    gateways.push(
      await startGateway(
        gatewayConfigSchema.parse({ upstream: emulator.url, redis: redis.url, instanceId: `gw${i}`, ...config }),
        { port: 0, logger: false },
      ),
    );
  // Every gateway has read the shared state and subscribed before the test begins.
  await waitFor('every gateway to share state', () =>
    gateways.every((gateway) => gateway.client.fleet?.snapshot().state === 'shared') ? true : undefined,
  );
  return gateways;
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const generate = (gateway: GatewayHandle, model = 'gemini-2.5-flash') =>
  post(gateway.url, `/v1beta/models/${model}:generateContent`, hello);
const upstream = (status: number) => emulator!.stats().byStatus[String(status)] ?? 0;

describe('a fleet of gateways shares what failures teach', () => {
  it('a suspended key costs one upstream 403 across the fleet, and one probe brings it back on all three', async () => {
    const keys = [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ];
    const [g1, g2, g3] = await fleet({ keys }, { keys, keyProbe: { initialMs: 400, maxMs: 800 } });
    const probes: Array<{ by: string; ok: boolean }> = [];
    const restored: string[] = [];
    for (const gateway of gateways) {
      gateway.client.on('key-probe', (event) => probes.push({ by: gateway.client.instanceId, ok: event.ok }));
      gateway.client.on('key-restored', () => restored.push(gateway.client.instanceId));
    }
    await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'suspended' });
    const first = await generate(g1!);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-gemwarden-attempts')).toBe('2'); // A refused, B answered
    const out = (gateway: GatewayHandle) => gateway.client.keys.outage(gateway.client.keys.keys[0]!);
    await waitFor('the others to know the key is out', () => (out(g2!) && out(g3!) ? true : undefined));
    expect(out(g2!)!.reason).toMatch(/CONSUMER_SUSPENDED/);
    expect(out(g3!)!.nextProbeAt).toBe(out(g1!)!.nextProbeAt);
    for (const gateway of [g2!, g3!, g2!, g3!]) {
      const answer = await generate(gateway);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-gemwarden-attempts')).toBe('1'); // never sent to A
    }
    // The one 403 a call met, plus the probes' (one gateway probes each time for all).
    await waitFor('a failed probe', () => (probes.some((probe) => !probe.ok) ? true : undefined));
    expect(upstream(403)).toBeGreaterThanOrEqual(1 + probes.length);
    expect(upstream(403)).toBeLessThanOrEqual(2 + probes.length);
    const status = (await (await fetch(`${g3!.url}/status.json`)).json()) as {
      fleet: { state: string; instanceId: string; writers: Array<{ kind: string; subject: string; by: string }> };
    };
    expect(status.fleet).toMatchObject({ state: 'shared', instanceId: 'gw3' });
    expect(status.fleet.writers.find((writer) => writer.kind === 'key')).toMatchObject({
      subject: 'key …AAAA',
      by: expect.stringMatching(/^gw[123]$/), // gw1 took it out; a probe's new schedule is its prober's
    });
    expect(JSON.stringify(status)).not.toContain(A);

    await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'active' });
    await waitFor('all three to restore the key', () => (new Set(restored).size === 3 ? true : undefined));
    expect(probes.filter((probe) => probe.ok)).toHaveLength(1);
    for (const gateway of gateways) expect(gateway.client.keys.usable('gemini-2.5-flash')).toHaveLength(2);
  });

  it("a project's spent day costs one upstream 429 across the fleet", async () => {
    const keys = [{ key: A, project: 'pa' }];
    // A short deadline: the day resets at midnight Pacific, which may be minutes away when this runs.
    const [g1, g2, g3] = await fleet(
      { keys, models: { 'gemini-2.5-flash': { rpd: 2 } } },
      { keys, maxAttempts: 2, deadlineMs: 5000 },
    );
    expect((await generate(g1!)).status).toBe(200);
    expect((await generate(g2!)).status).toBe(200);
    expect((await generate(g3!)).status).toBe(429);
    expect(upstream(429)).toBe(1);
    const parked = (gateway: GatewayHandle) => gateway.client.keys.isParked('pa', 'gemini-2.5-flash', Date.now());
    await waitFor('every gateway to park the project', () => (gateways.every(parked) ? true : undefined));
    for (const gateway of [g1!, g2!, g3!]) {
      const answer = await generate(gateway);
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(upstream(429)).toBe(1);
  });

  it('a model answering 503 opens its circuit on all three once the threshold is reached across the fleet', async () => {
    const keys = [{ key: A, project: 'pa' }];
    await fleet(
      { keys, faults: [{ model: 'gemini-2.5-pro', status: 503 }] },
      { keys, maxAttempts: 1, fallbacks: { 'gemini-2.5-pro': [] } },
    );
    const failures = (gateway: GatewayHandle) =>
      gateway.client.snapshot().then((snapshot) => snapshot.circuits.find((c) => c.model === 'gemini-2.5-pro'));
    // Threshold 3 (the default): one failure on each gateway, each seen by all three.
    for (const [index, gateway] of gateways.entries()) {
      expect((await generate(gateway, 'gemini-2.5-pro')).status).toBe(503);
      await waitFor('the failure to reach every gateway', async () => {
        const circuits = await Promise.all(gateways.map(failures));
        return circuits.every((circuit) => circuit && circuit.consecutiveFailures === index + 1) ? true : undefined;
      });
    }
    const circuits = await Promise.all(gateways.map(failures));
    expect(circuits.map((circuit) => circuit?.state)).toEqual(['open', 'open', 'open']);
    expect(upstream(503)).toBe(3);
    // While it is open, every gateway fails fast with the circuit's retry time: the upstream sees nothing.
    for (const gateway of gateways) {
      const refused = await generate(gateway, 'gemini-2.5-pro');
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(upstream(503)).toBe(3);
  });

  it('Redis killed under load and restarted: no request fails, and the shared state is rebuilt', async () => {
    const keys = [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ];
    const [g1, g2] = await fleet({ keys }, { keys, deadlineMs: 8000 }, 2);
    await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'suspended' });
    expect((await generate(g1!)).status).toBe(200);
    await waitFor('g2 to know the key is out', () =>
      g2!.client.keys.outage(g2!.client.keys.keys[0]!) ? true : undefined,
    );
    const states: string[] = [];
    g1!.client.on('fleet-state', (event) => states.push(event.state));

    let running = true;
    const results: number[] = [];
    const load = gateways.map(async (gateway) => {
      while (running) results.push((await generate(gateway)).status);
    });
    try {
      await sleep(200);
      const port = redis!.port;
      await redis!.stop();
      await waitFor('the gateways to notice', () => (states.includes('local') ? true : undefined));
      await sleep(300);
      redis = await startRedis(port);
      await waitFor('the fleet to share again', () =>
        gateways.every((gateway) => gateway.client.fleet?.snapshot().state === 'shared') ? true : undefined,
      );
      await sleep(200);
    } finally {
      running = false;
      await Promise.all(load);
    }
    expect(results.length).toBeGreaterThan(5);
    expect(results.filter((status) => status !== 200)).toEqual([]);
    expect(states.filter((state) => state === 'local')).toHaveLength(1); // said once

    // The restarted Redis was empty: the gateways wrote back what they knew.
    const reader = new Redis(redis.url);
    try {
      const entries = await reader.keys('gemwarden:fleet:e:key:*');
      expect(entries.length).toBe(1);
      expect(JSON.stringify(await reader.mget(...entries))).not.toContain(A);
    } finally {
      reader.disconnect();
    }
  });

  it('Redis stalled (SIGSTOP) under load: every request is answered, each gateway goes local once, and what one learned meanwhile reaches the others after SIGCONT', async () => {
    const keys = [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ];
    const [g1, g2] = await fleet({ keys }, { keys, deadlineMs: 8000 }, 2);
    const said = new Map<string, string[]>(gateways.map((gateway) => [gateway.client.instanceId, []]));
    for (const gateway of gateways) {
      const log = said.get(gateway.client.instanceId)!;
      gateway.client.on('fleet-state', (event) => log.push(`fleet-${event.state}`));
      gateway.client.on('pacing-degraded', () => log.push('pacing-degraded'));
      gateway.client.on('pacing-restored', () => log.push('pacing-restored'));
    }
    const saidBy = (gateway: GatewayHandle) => said.get(gateway.client.instanceId)!;
    const out = (gateway: GatewayHandle) => gateway.client.keys.outage(gateway.client.keys.keys[0]!);

    let running = true;
    const results: number[] = [];
    const load = gateways.map(async (gateway) => {
      while (running) results.push((await generate(gateway)).status);
    });
    redis!.pause();
    try {
      // A stalled server keeps its sockets open and answers nothing: only a command that times out tells.
      await waitFor('both gateways to notice the stall', () =>
        gateways.every((gateway) => saidBy(gateway).includes('fleet-local')) ? true : undefined,
      );
      await sleep(300);
      running = false;
      await Promise.all(load);
      expect(results.length).toBeGreaterThan(3);
      expect(results.filter((status) => status !== 200)).toEqual([]);
      for (const gateway of gateways) expect(gateway.client.fleet?.snapshot().state).toBe('local');

      // g1 learns a key is suspended while Redis is stalled; g2 cannot hear of it yet.
      await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'suspended' });
      await waitFor('g1 to take the key out', async () => {
        expect((await generate(g1!)).status).toBe(200);
        return out(g1!) ? true : undefined;
      });
      expect(out(g2!)).toBeUndefined();
    } finally {
      running = false;
      redis!.resume();
      await Promise.allSettled(load);
    }
    await waitFor('the fleet to share again', () =>
      gateways.every((gateway) => gateway.client.fleet?.snapshot().state === 'shared') ? true : undefined,
    );
    await waitFor('g2 to hear what g1 learned during the stall', () => (out(g2!) ? true : undefined));
    expect(out(g2!)!.reason).toMatch(/CONSUMER_SUSPENDED/);
    const answer = await generate(g2!);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-gemwarden-attempts')).toBe('1'); // never sent to A
    for (const gateway of gateways) {
      const log = saidBy(gateway);
      expect(log.filter((entry) => entry === 'fleet-local')).toHaveLength(1); // said once
      const fleetStates = log.filter((entry) => entry.startsWith('fleet-'));
      expect(fleetStates.slice(fleetStates.indexOf('fleet-local'))).toEqual(['fleet-local', 'fleet-shared']);
    }
    // Pacing fell back to memory too (said once per gateway), and comes back.
    for (const gateway of gateways)
      expect(saidBy(gateway).filter((entry) => entry === 'pacing-degraded')).toHaveLength(1);
    await waitFor('shared pacing to come back on both', () =>
      gateways.every((gateway) => saidBy(gateway).includes('pacing-restored')) ? true : undefined,
    );
  });
});
