// A per-day 429 through the pass-through, on an emulator whose quota day is compressed (a few
// seconds) and a gateway configured with the same `quotaWindows`: the 429 is classified where it
// arrives with the compressed day, so the (project, model) pair is parked until that day's end (not
// until midnight Pacific, hours away), later calls are answered by the gateway without asking
// upstream, with an explanation that does not promise midnight Pacific, and the pair serves again
// once the day has turned. Over real sockets: emulator and gateway each on their own port.
import { afterEach, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';

const DAY_MS = 4000;
const MODEL = 'text-embedding-004';

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.close();
  await emulator?.close();
  gateway = undefined;
  emulator = undefined;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

it('a per-day 429 on a compressed day parks the pair until that day ends, and says so without midnight Pacific', async () => {
  emulator = await startEmulator({ models: { [MODEL]: { rpd: 1 } }, clock: { minuteMs: 200, dayMs: DAY_MS } });
  gateway = await startGateway(
    gatewayConfigSchema.parse({
      upstream: emulator.url,
      keys: [{ key: 'day-key-000000001', project: 'p1' }],
      quotaWindows: { minuteMs: 200, dayMs: DAY_MS },
    }),
    { port: 0, logger: false },
  );
  const parked: Array<{ project: string; model: string; until: number; at: number; reason: string }> = [];
  gateway.client.on('key-parked', ({ project, model, until, reason }) =>
    parked.push({ project, model, until, reason, at: Date.now() }),
  );
  const embed = () =>
    fetch(`${gateway!.url}/v1beta/models/${MODEL}:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'hello' }] } }),
    });
  const upstreamCalls = () => emulator!.stats().byStatus;

  // One request a day: calls go on until the emulator refuses one (a day may turn in between).
  let refused: Response | undefined;
  for (let tries = 0; tries < 4 && !refused; tries++) {
    const answer = await embed();
    if (answer.status === 429) refused = answer;
    else expect(answer.status).toBe(200);
  }
  expect(refused).toBeDefined();
  // Upstream's own 429 passes through, marked with what it is.
  expect(refused!.headers.get('x-gemwarden-kind')).toBe('quota_exhausted');
  expect(((await refused!.json()) as { error: { status: string } }).error.status).toBe('RESOURCE_EXHAUSTED');

  // The pair is parked until the compressed day's end: within one such day, not hours away.
  expect(parked).toHaveLength(1);
  const park = parked[0]!;
  expect(park).toMatchObject({ project: 'p1', model: MODEL, reason: 'daily quota spent' });
  expect(park.until).toBeGreaterThan(park.at - 1000);
  expect(park.until - park.at).toBeLessThanOrEqual(DAY_MS + 1000);
  expect(gateway.client.keys.parkedUntil('p1', MODEL, Date.now())).toBe(park.until);

  // While parked, the gateway answers itself: nothing more reaches the emulator.
  const before = { ...upstreamCalls() };
  const stillParked = await embed();
  if (Date.now() < park.until) {
    expect(stillParked.status).toBe(429);
    expect(upstreamCalls()).toEqual(before);
    const retryAfter = Number(stillParked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(DAY_MS / 1000) + 1);
    const body = (await stillParked.json()) as {
      error: { code: number; status: string; gemwarden: { kind: string; explanation: string } };
    };
    expect(body.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      gemwarden: { kind: 'quota_exhausted' },
    });
    expect(body.error.gemwarden.explanation).toMatch(/resets at/);
    expect(body.error.gemwarden.explanation).not.toMatch(/midnight/i);
  }

  // Once the compressed day has turned, the pair serves again (the gateway's pacer, having learned
  // the limit of 1 a day, may ask to wait for its own day to turn too: follow its Retry-After).
  await pause(park.until - Date.now() + 50);
  let served: Response | undefined;
  for (let tries = 0; tries < 4 && !served; tries++) {
    const answer = await embed();
    if (answer.status === 200) served = answer;
    else {
      expect(answer.status).toBe(429);
      await pause(Math.min(Number(answer.headers.get('retry-after') ?? 1), Math.ceil(DAY_MS / 1000)) * 1000);
    }
  }
  expect(served).toBeDefined();
  expect(((await served!.json()) as { embedding: { values: number[] } }).embedding.values.length).toBeGreaterThan(0);
});
