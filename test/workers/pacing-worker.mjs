// One of several processes sharing a project's quota through Redis (used by test/pacing.test.ts).
// Usage: node pacing-worker.mjs EMULATOR_URL REDIS_URL COUNT KEY MINUTE_MS RPM
// Prints one JSON line: outcomes, and `slots`, the times (ms) the pacer booked for each request.
import { createClient, GeminiPacer } from '../../dist/index.js';

const [url, redis, count, key, minuteMs, rpm] = process.argv.slice(2);
let degraded = 0;
const slots = [];
/** The client's pacer, recording each slot it books (what the fleet's shared budget decided). */
class RecordingPacer extends GeminiPacer {
  async reserve(...args) {
    const reservation = await super.reserve(...args);
    if (!reservation.dayFull) slots.push(reservation.at);
    return reservation;
  }
}
const pacer = new RecordingPacer({
  clock: { minuteMs: Number(minuteMs) },
  limits: { 'gemini-2.5-flash': { rpm: Number(rpm) } },
  redis,
  // This test is about sharing one budget, not about Redis trouble (tested on its own): a loaded
  // machine must not turn a slow answer into a fall-back to per-process pacing.
  redisTimeoutMs: 5000,
  onEvent: (event) => {
    if (event.type === 'pacing-degraded') degraded++;
  },
});
const client = createClient({ keys: [{ key, project: 'shared' }], baseUrl: url, pacer });
const results = await Promise.allSettled(
  Array.from({ length: Number(count) }, () =>
    client.generateContent('gemini-2.5-flash', { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }),
  ),
);
const ok = results.filter((result) => result.status === 'fulfilled').length;
const attempts = results
  .filter((result) => result.status === 'fulfilled')
  .reduce((sum, result) => sum + result.value.attempts.length, 0);
const errors = results
  .filter((result) => result.status === 'rejected')
  .map((result) => `${result.reason.kind}: ${result.reason.message}`);
process.stdout.write(
  `${JSON.stringify({ ok, attempts, degraded, errors, slots, store: (await client.snapshot()).pacingStore })}\n`,
);
await client.close();
