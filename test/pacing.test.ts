// Pacing against the emulator over real sockets: configured limits, learned limits, spent days,
// and several processes sharing one budget through a real redis-server.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GeminiClient } from '../src/index.js';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { ROOT } from './helpers/cli.js';
import { hello } from './helpers/http.js';
import { freePort, startRedis, type RedisServer } from './helpers/redis.js';

let emulator: EmulatorHandle | undefined;
let redis: RedisServer | undefined;
const clients: GeminiClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await emulator?.close();
  await redis?.stop();
  emulator = undefined;
  redis = undefined;
});
async function start(config: EmulatorConfig): Promise<EmulatorHandle> {
  emulator = await startEmulator(config);
  return emulator;
}
function track(client: GeminiClient): GeminiClient {
  clients.push(client);
  return client;
}
const maxPerMinute = (emu: EmulatorHandle) =>
  Math.max(0, ...Object.values(emu.stats().minutes).flatMap((perMinute) => Object.values(perMinute)));

describe('pacing in memory', () => {
  it('known limits: a burst is spread so the emulator sees no 429', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { rpm: 5 } }, clock: { minuteMs: 600 } });
    const client = track(
      createClient({
        keys: ['key-0001'],
        baseUrl: emu.url,
        clock: { minuteMs: 600 },
        limits: { 'gemini-2.5-flash': { rpm: 5 } },
      }),
    );
    const waits: number[] = [];
    client.on('quota-waited', (event) => waits.push(event.waitedMs));
    const results = await Promise.all(
      Array.from({ length: 14 }, () => client.generateContent('gemini-2.5-flash', hello)),
    );
    expect(results.every((result) => result.attempts.length === 1)).toBe(true);
    expect(emu.stats().byStatus['429']).toBeUndefined();
    expect(maxPerMinute(emu)).toBeLessThanOrEqual(5);
    expect(waits.length).toBeGreaterThan(0);
    const [pair] = (await client.snapshot()).pacing;
    expect(pair).toMatchObject({ project: expect.any(String), model: 'gemini-2.5-flash', minute: { rpm: 5 } });
  });

  it('tokens per minute are paced too, corrected from usageMetadata', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { tpm: 300 } }, clock: { minuteMs: 500 } });
    const client = track(
      createClient({
        keys: ['key-0001'],
        baseUrl: emu.url,
        clock: { minuteMs: 500 },
        limits: { 'gemini-2.5-flash': { tpm: 300 } },
      }),
    );
    const request = { contents: [{ role: 'user', parts: [{ text: 'w'.repeat(400) }] }] }; // 100 tokens upstream, estimated higher
    await Promise.all(Array.from({ length: 8 }, () => client.generateContent('gemini-2.5-flash', request)));
    expect(emu.stats().byStatus['429']).toBeUndefined();
  });

  it('unknown limits: the first 429 teaches the limit and the rest of the run sees none', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { rpm: 3 } }, clock: { minuteMs: 500 } });
    const client = track(createClient({ keys: ['key-0001'], baseUrl: emu.url, clock: { minuteMs: 500 } }));
    const learned: unknown[] = [];
    client.on('limit-learned', (event) => learned.push(event));
    for (let i = 0; i < 12; i++) await client.generateContent('gemini-2.5-flash', hello);
    expect(emu.stats().byStatus['429']).toBe(1);
    expect(learned).toEqual([expect.objectContaining({ window: 'rpm', limit: 3 })]);
  });

  it('a spent day parks the pair, work goes on elsewhere, and resumes after the reset', async () => {
    const emu = await start({
      keys: [
        { key: 'key-p1-0001', project: 'p1' },
        { key: 'key-p2-0002', project: 'p2' },
      ],
      models: { 'gemini-2.5-pro': { rpd: 2 } },
      clock: { minuteMs: 200, dayMs: 1500 },
    });
    const client = track(
      createClient({
        keys: [
          { key: 'key-p1-0001', project: 'p1' },
          { key: 'key-p2-0002', project: 'p2' },
        ],
        baseUrl: emu.url,
        clock: { minuteMs: 200, dayMs: 1500 },
        limits: { 'gemini-2.5-pro': { rpd: 2 } },
      }),
    );
    const waited: number[] = [];
    client.on('quota-waited', (event) => waited.push(event.waitedMs));
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await client.generateContent('gemini-2.5-pro', hello));
    expect(emu.stats().byProject).toMatchObject({ p1: 2, p2: 2 });
    const started = Date.now();
    const fifth = await client.generateContent('gemini-2.5-pro', hello);
    expect(fifth.attempts).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThan(500); // waited for the compressed day to turn
    expect(Math.max(...waited)).toBeGreaterThan(300); // the pacer knew the day was spent: no 429 needed
    expect(emu.stats().byStatus['429']).toBeUndefined();
  });
});

function runWorker(
  args: string[],
): Promise<{ ok: number; attempts: number; degraded: number; errors: string[]; store: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'test/workers/pacing-worker.mjs'), ...args], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise(JSON.parse(out.trim().split('\n').pop()!))
        : reject(new Error(`worker exited ${code}: ${err}`)),
    );
  });
}

describe('pacing shared through Redis', () => {
  it('three processes sharing one project: no 429, no emulated minute over the limit', async () => {
    redis = await startRedis();
    const emu = await start({
      keys: [
        { key: 'shared-key-a1', project: 'shared' },
        { key: 'shared-key-b2', project: 'shared' },
        { key: 'shared-key-c3', project: 'shared' },
      ],
      models: { 'gemini-2.5-flash': { rpm: 20 } },
      clock: { minuteMs: 1000 },
    });
    const results = await Promise.all(
      ['shared-key-a1', 'shared-key-b2', 'shared-key-c3'].map((key) =>
        runWorker([emu.url, redis!.url, '20', key, '1000', '20']),
      ),
    );
    expect(results.flatMap((result) => result.errors)).toEqual([]);
    expect(results.map((result) => result.ok)).toEqual([20, 20, 20]);
    expect(results.every((result) => result.store === 'redis' && result.degraded === 0)).toBe(true);
    expect(emu.stats().byStatus['429']).toBeUndefined();
    expect(emu.stats().byStatus['200']).toBe(60);
    expect(maxPerMinute(emu)).toBeLessThanOrEqual(20);
  });

  it('a limit learned from a 429 by one process paces the others through Redis', async () => {
    redis = await startRedis();
    const emu = await start({
      keys: [
        { key: 'learn-key-a1', project: 'shared' },
        { key: 'learn-key-b2', project: 'shared' },
      ],
      models: { 'gemini-2.5-flash': { rpm: 3 } },
      clock: { minuteMs: 600 },
    });
    const first = track(
      createClient({
        keys: [{ key: 'learn-key-a1', project: 'shared' }],
        baseUrl: emu.url,
        redis: redis.url,
        clock: { minuteMs: 600 },
      }),
    );
    for (let i = 0; i < 4; i++) await first.generateContent('gemini-2.5-flash', hello);
    expect(emu.stats().byStatus['429']).toBe(1);
    const second = track(
      createClient({
        keys: [{ key: 'learn-key-b2', project: 'shared' }],
        baseUrl: emu.url,
        redis: redis.url,
        clock: { minuteMs: 600 },
      }),
    );
    for (let i = 0; i < 8; i++) await second.generateContent('gemini-2.5-flash', hello);
    expect(emu.stats().byStatus['429']).toBe(1);
  });

  it('Redis down: keeps serving per process, says so, and returns to Redis when it is back', async () => {
    const port = await freePort();
    const emu = await start({});
    const client = track(
      createClient({
        keys: ['key-0001'],
        baseUrl: emu.url,
        redis: `redis://127.0.0.1:${port}`,
        limits: { 'gemini-2.5-flash': { rpm: 1000 } },
      }),
    );
    const events: string[] = [];
    client.on('pacing-degraded', () => events.push('degraded'));
    client.on('pacing-restored', () => events.push('restored'));
    const started = Date.now();
    expect((await client.generateContent('gemini-2.5-flash', hello, { deadlineMs: 5000 })).attempts).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(events).toEqual(['degraded']);
    expect((await client.snapshot()).pacingStore).toBe('memory');
    redis = await startRedis(port);
    const deadline = Date.now() + 8000;
    while (!events.includes('restored') && Date.now() < deadline)
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    expect(events).toEqual(['degraded', 'restored']);
    await client.generateContent('gemini-2.5-flash', hello);
    expect((await client.snapshot()).pacingStore).toBe('redis');
  });
});
