// One of several processes sharing a project's quota through Redis (used by test/pacing.test.ts).
// Usage: node pacing-worker.mjs EMULATOR_URL REDIS_URL COUNT KEY MINUTE_MS RPM
import { createClient } from '../../dist/index.js';

const [url, redis, count, key, minuteMs, rpm] = process.argv.slice(2);
const client = createClient({
  keys: [{ key, project: 'shared' }],
  baseUrl: url,
  redis,
  clock: { minuteMs: Number(minuteMs) },
  limits: { 'gemini-2.5-flash': { rpm: Number(rpm) } },
});
let degraded = 0;
client.on('pacing-degraded', () => {
  degraded++;
});
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
  `${JSON.stringify({ ok, attempts, degraded, errors, store: (await client.snapshot()).pacingStore })}\n`,
);
await client.close();
