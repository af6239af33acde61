// The fleet works for library clients as it does for gateways (issue 19): two `createClient({ redis })`
// clients on one real redis-server and one emulator share keys taken out, parked projects, circuits
// and models dropped as not found, so what one learns from a failure the other never pays for.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, GeminiError, type ClientOptions, type GeminiClient } from '../src/index.js';
import { startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { hello, post, sleep } from './helpers/http.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const A = `AIza${''}SyClientsClientsClientsClientsCliAAAA`;
const B = `AIza${''}SyClientsClientsClientsClientsCliBBBB`;

let redis: RedisServer | undefined;
let emulator: EmulatorHandle | undefined;
let clients: GeminiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await emulator?.close();
  await redis?.stop();
  clients = [];
  emulator = redis = undefined;
});

/** Two clients as two processes would make them: same keys and Redis, each its own name. */
async function pair(
  emulatorConfig: EmulatorConfig,
  options: Omit<ClientOptions, 'keys'> & Pick<ClientOptions, 'keys'>,
) {
  redis = await startRedis();
  emulator = await startEmulator(emulatorConfig);
  for (const name of ['c1', 'c2'])
    clients.push(
      createClient({
        backoff: { baseMs: 20, maxMs: 100 },
        ...options,
        baseUrl: emulator.url,
        redis: redis.url,
        instanceId: name,
      }),
    );
  await waitFor('both clients to share state', () =>
    clients.every((client) => client.fleet?.snapshot().state === 'shared') ? true : undefined,
  );
  return clients as [GeminiClient, GeminiClient];
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function failureOf(promise: Promise<unknown>): Promise<GeminiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GeminiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const upstream = (status: number) => emulator!.stats().byStatus[String(status)] ?? 0;

describe('library clients on one Redis share what failures teach', () => {
  it('a key taken out by one client is never tried by the other', async () => {
    const keys = [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ];
    const [c1, c2] = await pair({ keys }, { keys });
    await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'suspended' });
    const first = await c1.generateContent('gemini-2.5-flash', hello);
    expect(first.attempts.map((attempt) => [attempt.keyHint, attempt.status ?? 200])).toEqual([
      ['…AAAA', 403],
      ['…BBBB', 200],
    ]);
    await waitFor('c2 to know the key is out', () => (c2.keys.outage(c2.keys.keys[0]!) ? true : undefined));
    expect(c2.keys.outage(c2.keys.keys[0]!)!.reason).toMatch(/CONSUMER_SUSPENDED/);
    for (let i = 0; i < 3; i++) {
      const answer = await c2.generateContent('gemini-2.5-flash', hello);
      expect(answer.attempts.map((attempt) => attempt.keyHint)).toEqual(['…BBBB']);
    }
    expect(upstream(403)).toBe(1);
    expect((await c2.snapshot()).fleet.writers.find((writer) => writer.kind === 'key')).toMatchObject({
      subject: 'key …AAAA',
      by: 'c1',
    });
  });

  it("a project's spent day, parked by one client, fails fast on the other without an upstream call", async () => {
    const keys = [{ key: A, project: 'pa' }];
    const [c1, c2] = await pair(
      { keys, models: { 'gemini-2.5-flash': { rpd: 1 } } },
      { keys, maxAttempts: 2, deadlineMs: 5000 },
    );
    await c1.generateContent('gemini-2.5-flash', hello);
    const spent = await failureOf(c1.generateContent('gemini-2.5-flash', hello));
    expect(spent.kind).toBe('quota_exhausted');
    expect(upstream(429)).toBe(1);
    await waitFor('c2 to park the project', () =>
      c2.keys.isParked('pa', 'gemini-2.5-flash', Date.now()) ? true : undefined,
    );
    const refused = await failureOf(c2.generateContent('gemini-2.5-flash', hello));
    expect(refused.kind).toBe('quota_exhausted');
    expect(upstream(429)).toBe(1);
    expect(emulator!.stats().total).toBe(2);
  });

  it("a circuit opened by both clients' failures together fails fast on each", async () => {
    const keys = [{ key: A, project: 'pa' }];
    const [c1, c2] = await pair(
      { keys, faults: [{ model: 'gemini-2.5-pro', status: 503 }] },
      { keys, maxAttempts: 1, breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
    );
    const circuit = (client: GeminiClient) =>
      client.snapshot().then((snapshot) => snapshot.circuits.find((c) => c.model === 'gemini-2.5-pro'));
    expect((await failureOf(c1.generateContent('gemini-2.5-pro', hello))).kind).toBe('unavailable');
    await waitFor('c2 to count c1 failure', async () =>
      (await circuit(c2))?.consecutiveFailures === 1 ? true : undefined,
    );
    expect((await failureOf(c2.generateContent('gemini-2.5-pro', hello))).kind).toBe('unavailable');
    await waitFor('the circuit to open on both', async () =>
      (await Promise.all(clients.map(circuit))).every((c) => c?.state === 'open') ? true : undefined,
    );
    expect(upstream(503)).toBe(2);
    for (const client of clients) {
      const fast = await failureOf(client.generateContent('gemini-2.5-pro', hello));
      expect(fast.kind).toBe('unavailable');
      expect(fast.retryAfterMs).toBeGreaterThan(0);
    }
    expect(upstream(503)).toBe(2);
  });

  it('a model dropped as not found by one client is skipped for its fallback by the other', async () => {
    const keys = [{ key: A, project: 'pa' }];
    const fallbacks = { 'gemini-1.0-retired': ['gemini-2.5-flash'] };
    const [c1, c2] = await pair({ keys }, { keys, fallbacks });
    const first = await c1.generateContent('gemini-1.0-retired', hello);
    expect(first.model).toBe('gemini-2.5-flash');
    expect(first.attempts.map((attempt) => [attempt.model, attempt.status ?? 200])).toEqual([
      ['gemini-1.0-retired', 404],
      ['gemini-2.5-flash', 200],
    ]);
    await waitFor('c2 to drop the model', async () =>
      (await c2.snapshot()).fleet.writers.some((writer) => writer.kind === 'dropped') ? true : undefined,
    );
    const second = await c2.generateContent('gemini-1.0-retired', hello);
    expect(second.model).toBe('gemini-2.5-flash');
    expect(second.attempts.map((attempt) => attempt.model)).toEqual(['gemini-2.5-flash']);
    expect(upstream(404)).toBe(1);
  });

  it('calls made at once take the keys in turn while they wait for shared pacing, so a suspended key costs few 403s', async () => {
    const keys = [
      { key: A, project: 'pa' },
      { key: B, project: 'pb' },
    ];
    const [c1] = await pair({ keys }, { keys });
    await post(emulator!.url, `/_emulator/keys/${A}`, { state: 'suspended' });
    // Eight calls chosen in one tick: each books its slot in Redis (a round trip) before it is sent.
    const answers = await Promise.all(Array.from({ length: 8 }, () => c1.generateContent('gemini-2.5-flash', hello)));
    const first = answers.map((answer) => answer.attempts[0]!.keyHint);
    // A, B, A, B … not A eight times (fewer when the first 403 is back before a call's slot is booked).
    const sentToA = first.filter((hint) => hint === '…AAAA').length;
    expect(sentToA).toBeGreaterThanOrEqual(1);
    expect(sentToA).toBeLessThanOrEqual(4);
    expect(upstream(403)).toBe(sentToA);
    expect(upstream(200)).toBe(8);
  });
});
