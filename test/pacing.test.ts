// Pacing against the emulator over real sockets: configured limits, learned limits, spent days,
// and several processes sharing one budget through a real redis-server.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GeminiClient } from '../src/index.js';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { MemoryPacingStore } from '../src/pacing/memory-store.js';
import { clientOptionsFromConfig, gatewayConfigSchema } from '../src/gateway/config.js';
import { createPacingStore } from '../src/pacing/failover-store.js';
import { RedisPacingStore } from '../src/pacing/redis-store.js';
import type { PacingStore } from '../src/pacing/store.js';
import { ROOT } from './helpers/cli.js';
import { hello } from './helpers/http.js';
import { freePort, startRedis, startTcpProxy, type RedisServer, type TcpProxy } from './helpers/redis.js';

let emulator: EmulatorHandle | undefined;
let redis: RedisServer | undefined;
let proxy: TcpProxy | undefined;
const clients: GeminiClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await emulator?.close();
  await proxy?.close();
  await redis?.stop();
  emulator = undefined;
  redis = undefined;
  proxy = undefined;
});
async function start(config: EmulatorConfig): Promise<EmulatorHandle> {
  emulator = await startEmulator(config);
  return emulator;
}
function track(client: GeminiClient): GeminiClient {
  clients.push(client);
  return client;
}
/** Records the slot the client's pacer books for each attempt (times in ms). */
function recordSlots(client: GeminiClient): number[] {
  const slots: number[] = [];
  const pacer = client.pacer;
  const reserve = pacer.reserve.bind(pacer);
  pacer.reserve = async (...args) => {
    const reservation = await reserve(...args);
    if (!reservation.dayFull) slots.push(reservation.at);
    return reservation;
  };
  return slots;
}
/** The first booked slot that starts a span of `minuteMs` holding more than `limit` slots, if any. */
function crowdedMinute(slots: readonly number[], minuteMs: number, limit: number): number | undefined {
  const sorted = [...slots].sort((a, b) => a - b);
  return sorted.find((slot, index) => index + limit < sorted.length && sorted[index + limit]! - slot < minuteMs);
}

describe('pacing in memory', () => {
  it('known limits: a burst is booked so no rolling minute holds more than the limit, and every request succeeds', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { rpm: 5 } }, clock: { minuteMs: 600 } });
    const client = track(
      createClient({
        keys: ['key-0001'],
        baseUrl: emu.url,
        quotaWindows: { minuteMs: 600 },
        limits: { 'gemini-2.5-flash': { rpm: 5 } },
      }),
    );
    const slots = recordSlots(client);
    const waits: number[] = [];
    client.on('quota-waited', (event) => waits.push(event.waitedMs));
    const results = await Promise.all(
      Array.from({ length: 14 }, () => client.generateContent('gemini-2.5-flash', hello)),
    );
    // What pacing decides, counted exactly: one booked slot per attempt, never more than 5 in any
    // span of the 600 ms minute. (Whether the emulator's fixed minutes also see ≤ 5 depends on how
    // late a loaded machine delivers each request, beyond the pacer's margin: not asserted.)
    expect(slots).toHaveLength(results.reduce((sum, result) => sum + result.attempts.length, 0));
    expect(crowdedMinute(slots, 600, 5)).toBeUndefined();
    expect(emu.stats().byStatus['200']).toBe(14);
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
        quotaWindows: { minuteMs: 500 },
        limits: { 'gemini-2.5-flash': { tpm: 300 } },
      }),
    );
    const request = { contents: [{ role: 'user', parts: [{ text: 'w'.repeat(400) }] }] }; // 100 tokens upstream, and by the estimate (4 characters a token)
    await Promise.all(Array.from({ length: 8 }, () => client.generateContent('gemini-2.5-flash', request)));
    expect(emu.stats().byStatus['429']).toBeUndefined();
  });

  it('unknown limits: the first 429 teaches the limit and the rest of the run sees none', async () => {
    const emu = await start({ models: { 'gemini-2.5-flash': { rpm: 3 } }, clock: { minuteMs: 500 } });
    const client = track(createClient({ keys: ['key-0001'], baseUrl: emu.url, quotaWindows: { minuteMs: 500 } }));
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
        quotaWindows: { minuteMs: 200, dayMs: 1500 },
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

describe('quota windows apart from the clock', () => {
  it('the gateway config takes quotaWindows, and the deprecated clock form still means the same', () => {
    const options = (config: Record<string, unknown>) =>
      clientOptionsFromConfig(gatewayConfigSchema.parse({ keys: ['key-0001'], ...config }), ['key-0001'], 'http://x');
    expect(options({ quotaWindows: { minuteMs: 500, dayMs: 4000 } })).toMatchObject({
      quotaWindows: { minuteMs: 500, dayMs: 4000 },
    });
    const old = options({ clock: { minuteMs: 500 } });
    expect(old).toMatchObject({ quotaWindows: { minuteMs: 500 } });
    expect(old).not.toHaveProperty('clock');
    expect(options({})).not.toHaveProperty('quotaWindows');
  });

  it('a per-day 429 on a compressed quota day parks the pair for that day, not until midnight Pacific', async () => {
    const emu = await start({ models: { 'gemini-2.5-pro': { rpd: 2 } }, clock: { minuteMs: 200, dayMs: 1500 } });
    // No limits configured: the client learns the day is spent from the emulator's 429.
    const client = track(
      createClient({ keys: ['key-0001'], baseUrl: emu.url, quotaWindows: { minuteMs: 200, dayMs: 1500 } }),
    );
    const parked: Array<{ until: number; at: number }> = [];
    client.on('key-parked', (event) => parked.push({ until: event.until, at: Date.now() }));
    for (let i = 0; i < 2; i++) await client.generateContent('gemini-2.5-pro', hello);
    const third = await client.generateContent('gemini-2.5-pro', hello, { deadlineMs: 20_000 }).catch((e) => e);
    expect(emu.stats().byStatus['429']).toBe(1);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.until - parked[0]!.at).toBeLessThanOrEqual(1500);
    expect(third).not.toBeInstanceOf(Error); // served once the compressed day turned
    expect(emu.stats().byStatus['200']).toBe(3);
  });
});

function runWorker(
  args: string[],
): Promise<{ ok: number; attempts: number; degraded: number; errors: string[]; slots: number[]; store: string }> {
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
  it('three processes sharing one project: no rolling minute of the fleet over the limit, every request served', async () => {
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
    // The budget is one for the fleet, counted exactly on the slots the three pacers booked: one per
    // attempt, never more than 20 in any span of the 1 s minute (three budgets would book 60 at once).
    // Upstream 429s are not asserted: on a loaded machine a request can reach the emulator later than
    // the pacer's margin, which says nothing about sharing.
    const slots = results.flatMap((result) => result.slots);
    expect(slots).toHaveLength(results.reduce((sum, result) => sum + result.attempts, 0));
    expect(crowdedMinute(slots, 1000, 20)).toBeUndefined();
    expect(emu.stats().byStatus['200']).toBe(60);
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
        quotaWindows: { minuteMs: 600 },
      }),
    );
    for (let i = 0; i < 4; i++) await first.generateContent('gemini-2.5-flash', hello);
    expect(emu.stats().byStatus['429']).toBe(1);
    const second = track(
      createClient({
        keys: [{ key: 'learn-key-b2', project: 'shared' }],
        baseUrl: emu.url,
        redis: redis.url,
        quotaWindows: { minuteMs: 600 },
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

describe('the same bucket algorithm in memory and in Redis', () => {
  it('books the same slots for the same random traffic (cancellations, corrections and days included)', async () => {
    redis = await startRedis();
    const windows = { minuteMs: 1000, dayMs: 20_000, marginMs: 40 };
    const shared = new RedisPacingStore({ url: redis.url, windows, commandTimeoutMs: 5000 });
    await new Promise<void>((resolveReady) => (shared.ready ? resolveReady() : shared.onReady(resolveReady)));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rpm: fc.integer({ min: 1, max: 15 }),
          tpm: fc.integer({ min: 50, max: 400 }),
          rpd: fc.option(fc.integer({ min: 5, max: 40 }), { nil: undefined }),
        }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 250 }),
            tokens: fc.integer({ min: 1, max: 100 }),
            then: fc.constantFrom('send', 'send', 'cancel', 'correct', 'copy'),
            // For 'copy': how long before now the booking copied back was made (up to a window ago and more).
            ago: fc.integer({ min: 0, max: 1500 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (limits, requests) => {
          const memory = new MemoryPacingStore(windows);
          const pair = `p${run++}/m`;
          let now = 5_000_000;
          let copies = 0;
          for (const { gap, tokens, then, ago } of requests) {
            now += gap;
            if (then === 'copy') {
              // A booking another process made in memory while Redis was away, copied in late and out
              // of order (mirror() is the memory store's out-of-order add); asked twice, counted once.
              const id = `copied-${copies++}`;
              memory.mirror(pair, { at: now - ago, tokens, id }, now);
              await shared.merge(pair, id, now - ago, tokens, now);
              await shared.merge(pair, id, now - ago, tokens, now);
              continue;
            }
            const [local, remote] = await Promise.all([
              memory.reserve(pair, tokens, limits, now),
              shared.reserve(pair, tokens, limits, now),
            ]);
            expect({ at: remote.at, dayFull: remote.dayFull }).toEqual({ at: local.at, dayFull: local.dayFull });
            if (local.dayFull) continue;
            if (then === 'cancel')
              await Promise.all([memory.cancel(pair, local.id), shared.cancel(pair, remote.id, now)]);
            if (then === 'correct')
              await Promise.all([
                memory.correct(pair, local.id, tokens * 2),
                shared.correct(pair, remote.id, tokens * 2),
              ]);
          }
          const [a, b] = await Promise.all([memory.usage(pair, now), shared.usage(pair, now)]);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 40 },
    );
    await shared.close();
  });
});

describe('Redis trouble of every shape: pacing goes on per process and comes back by itself', () => {
  /** A client pacing through `url`, with the events it emitted. */
  async function pacedClient(url: string) {
    const emu = await start({});
    const client = track(
      createClient({
        keys: ['key-0001'],
        baseUrl: emu.url,
        redis: url,
        limits: { 'gemini-2.5-flash': { rpm: 100_000 } },
      }),
    );
    const events: string[] = [];
    client.on('pacing-degraded', () => events.push('degraded'));
    client.on('pacing-restored', () => events.push('restored'));
    expect((await client.generateContent('gemini-2.5-flash', hello)).attempts).toHaveLength(1);
    expect((await client.snapshot()).pacingStore).toBe('redis');
    return { client, events };
  }

  /** Sends one request after another while `trouble` runs; every one must succeed within its deadline. */
  async function sendThrough(client: GeminiClient, trouble: () => Promise<void>): Promise<number> {
    let done = false;
    const sent = (async () => {
      let count = 0;
      while (!done) {
        const result = await client.generateContent('gemini-2.5-flash', hello, { deadlineMs: 2000 });
        expect(result.attempts).toHaveLength(1);
        count++;
      }
      return count;
    })();
    await trouble();
    done = true;
    return sent;
  }

  async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  const pause = (ms: number) => new Promise((resolveWait) => setTimeout(resolveWait, ms));

  it('stalled (SIGSTOP, alive but answering nothing): requests keep their deadline; restored after SIGCONT', async () => {
    redis = await startRedis();
    const { client, events } = await pacedClient(redis.url);
    const sent = await sendThrough(client, async () => {
      redis!.pause();
      await pause(3000); // longer than a request's deadline, the command timeout and several probes
    });
    expect(sent).toBeGreaterThan(1);
    expect(events).toEqual(['degraded']);
    expect((await client.snapshot()).pacingStore).toBe('memory');
    redis.resume();
    await until(() => events.includes('restored'), 'pacing-restored');
    expect(events).toEqual(['degraded', 'restored']);
    await client.generateContent('gemini-2.5-flash', hello);
    expect((await client.snapshot()).pacingStore).toBe('redis');
  });

  it('slow (every answer later than the command timeout): per process until it is fast again', async () => {
    redis = await startRedis();
    proxy = await startTcpProxy(redis.port);
    const { client, events } = await pacedClient(proxy.url);
    const sent = await sendThrough(client, async () => {
      proxy!.setDelay(600);
      await pause(2500);
    });
    expect(sent).toBeGreaterThan(1);
    expect(events).toEqual(['degraded']);
    proxy.setDelay(0);
    await until(() => events.includes('restored'), 'pacing-restored');
    expect(events).toEqual(['degraded', 'restored']);
    expect((await client.snapshot()).pacingStore).toBe('redis');
  });

  it('flapping (connections cut again and again): no request fails, and it settles on Redis', async () => {
    redis = await startRedis();
    proxy = await startTcpProxy(redis.port);
    const { client, events } = await pacedClient(proxy.url);
    const sent = await sendThrough(client, async () => {
      for (let i = 0; i < 12; i++) {
        proxy!.cutAll();
        await pause(200);
      }
    });
    expect(sent).toBeGreaterThan(1);
    expect(events[0]).toBe('degraded');
    await until(async () => (await client.snapshot()).pacingStore === 'redis', 'the store to be Redis again');
    expect(events[events.length - 1]).toBe('restored');
    // Every degradation was followed by its restoration: one event per change, never two in a row.
    expect(events.every((event, index) => event === (index % 2 === 0 ? 'degraded' : 'restored'))).toBe(true);
  });

  it('killed under load and restarted on its port: per process meanwhile, then Redis again', async () => {
    redis = await startRedis();
    const port = redis.port;
    const { client, events } = await pacedClient(redis.url);
    const sent = await sendThrough(client, async () => {
      await redis!.stop();
      await pause(1000);
      redis = await startRedis(port);
    });
    expect(sent).toBeGreaterThan(1);
    await until(() => events.includes('restored'), 'pacing-restored');
    expect(events).toEqual(['degraded', 'restored']);
    await client.generateContent('gemini-2.5-flash', hello);
    expect((await client.snapshot()).pacingStore).toBe('redis');
  });
});

describe('bookings made in memory while Redis was away are copied back when it returns', () => {
  const windows = { minuteMs: 60_000, dayMs: 86_400_000, marginMs: 1000 }; // the real minute and day
  const limits = { rpm: 1000 };

  /** A process's failover store on `url` and the events it emitted. */
  function processStore(url: string, prefix: string) {
    const events: string[] = [];
    const store = createPacingStore({
      windows,
      redis: url,
      redisPrefix: prefix,
      onEvent: (event) => events.push(event.type),
    });
    return { store, events };
  }

  /** What another process sees in Redis (a store of its own, patient with a loaded machine). */
  async function fleetView(url: string, prefix: string) {
    const other = new RedisPacingStore({ url, windows, prefix, commandTimeoutMs: 5000 });
    await new Promise<void>((resolveReady) => (other.ready ? resolveReady() : other.onReady(resolveReady)));
    try {
      return await other.usage('p/m', Date.now());
    } finally {
      await other.close();
    }
  }

  async function restored(events: string[], times = 1): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (events.filter((event) => event === 'pacing-restored').length < times) {
      if (Date.now() > deadline) throw new Error(`no pacing-restored (events: ${events.join(', ')})`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  async function book(store: PacingStore, count: number, tokens = 10) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await store.reserve('p/m', tokens, limits, Date.now())).id);
    return ids;
  }

  it('stalled (SIGSTOP): the minute and the day in Redis count them once, with cancellations and corrections', async () => {
    redis = await startRedis();
    const { store, events } = processStore(redis.url, 'copy-stall');
    try {
      await book(store, 3);
      expect(store.kind).toBe('redis');
      redis.pause();
      const local = await book(store, 4);
      expect(events).toEqual(['pacing-degraded']);
      expect(store.kind).toBe('memory');
      await store.cancel('p/m', local[0]!, Date.now()); // given back: never reaches Redis
      await store.correct('p/m', local[1]!, 50); // the real count travels with the copy
      redis.resume();
      await restored(events);
      expect(await fleetView(redis.url, 'copy-stall')).toMatchObject({
        minuteRequests: 6,
        minuteTokens: 3 * 10 + 50 + 10 + 10,
        dayRequests: 6,
      });
      // A correction after the copy follows the booking into Redis.
      await store.correct('p/m', local[2]!, 30);
      expect((await fleetView(redis.url, 'copy-stall')).minuteTokens).toBe(3 * 10 + 50 + 30 + 10);
      // The fleet now paces with them: a limit of 6 a minute has no room left this minute.
      const next = await store.reserve('p/m', 10, { rpm: 6 }, Date.now());
      expect(next.at - Date.now()).toBeGreaterThan(30_000);
      // A second outage: the one booking tried in Redis (which ran it when it woke) is not counted twice.
      redis.pause();
      await book(store, 1);
      expect(events).toEqual(['pacing-degraded', 'pacing-restored', 'pacing-degraded']);
      redis.resume();
      await restored(events, 2);
      expect((await fleetView(redis.url, 'copy-stall')).dayRequests).toBe(8);
    } finally {
      await store.close();
    }
  });

  it('killed and restarted on its port: the bookings of the outage are in the new Redis', async () => {
    redis = await startRedis();
    const port = redis.port;
    const { store, events } = processStore(redis.url, 'copy-kill');
    try {
      await book(store, 2);
      await redis.stop();
      await book(store, 5);
      expect(events).toEqual(['pacing-degraded']);
      redis = await startRedis(port);
      await restored(events);
      // A restarted Redis (no persistence) lost what it held; what this process booked meanwhile is back.
      expect(await fleetView(redis.url, 'copy-kill')).toMatchObject({ minuteRequests: 5, dayRequests: 5 });
      await book(store, 1);
      expect(store.kind).toBe('redis');
      expect((await fleetView(redis.url, 'copy-kill')).dayRequests).toBe(6);
    } finally {
      await store.close();
    }
  });
});
