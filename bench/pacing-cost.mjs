// The cost of one pacing booking (reserve + release with the real token count) while the rolling
// minute already holds 1,000, 30,000 or 1,000,000 bookings, in memory and in Redis (through the
// failover store a gateway uses). Issue #20's goal: the figures for one store within 2× of each
// other, i.e. the cost does not grow with the traffic in the window.
import { createPacingStore, GeminiPacer } from '../dist/index.js';
import { goal, notMeasured } from './goals.mjs';

/** Bookings measured at each size, after the window is filled. */
const MEASURED = 20_000;
/** Bookings in flight at once while filling and measuring (Redis pipelines them on one connection). */
const BATCH = 500;

/**
 * Fills the window of one pair with `size` bookings spread over 30 s of a 60 s minute, then times
 * MEASURED more. Limits are generous (RPM 10× the size, TPM huge) so nothing waits, but both checks
 * run on every booking: the per-request log this replaced walked the whole window for the TPM check.
 * Returns µs per booking (wall time ÷ bookings, BATCH in flight).
 */
async function costPerBooking(size, redisUrl) {
  const windows = { minuteMs: 60_000, dayMs: 86_400_000, marginMs: 1000 }; // the real minute's defaults
  const pacer = new GeminiPacer({
    limits: { m: { rpm: size * 10, tpm: 1e15 } },
    // A generous command timeout: on a loaded 2-core machine a pipelined batch can pass the default
    // 250 ms, and a degraded store would measure memory instead of Redis.
    ...(redisUrl
      ? {
          store: createPacingStore({
            windows,
            redis: redisUrl,
            redisPrefix: `bench-${size}-${Date.now()}`,
            redisTimeoutMs: 5000,
          }),
        }
      : {}),
  });
  const step = 30_000 / (size + MEASURED);
  const start = Date.now();
  let booked = 0;
  const book = async (count) => {
    for (let done = 0; done < count;) {
      const batch = Math.min(BATCH, count - done);
      await Promise.all(
        Array.from({ length: batch }, () => {
          const now = Math.floor(start + booked++ * step);
          return pacer
            .reserve('p', 'm', 100, now)
            .then((reservation) => reservation.release({ sent: true, inputTokens: 90 }));
        }),
      );
      done += batch;
    }
  };
  await book(size);
  if (redisUrl && pacer.storeKind !== 'redis') throw new Error('Redis was not used (the store degraded)');
  const started = performance.now();
  await book(MEASURED);
  const us = ((performance.now() - started) * 1000) / MEASURED;
  const kind = pacer.storeKind;
  await pacer.close();
  if (redisUrl && kind !== 'redis') throw new Error('Redis was not used (the store degraded while measuring)');
  return us;
}

export async function pacingCostScenario({ quick, log }) {
  const sizes = [1_000, 30_000, 1_000_000];
  const results = [];
  const goals = [];
  const stores = [['memory', undefined]];
  let redis;
  try {
    const { startRedis } = await import('./redis.mjs');
    redis = await startRedis();
    stores.push(['Redis', redis.url]);
  } catch (error) {
    goals.push(notMeasured('Redis: µs per booking within 2× across sizes', `no redis-server (${error.message})`));
  }
  for (const [store, url] of stores) {
    const figures = [];
    // Warm-up: the JIT and the connection; too short a warm-up charges compilation to the first size.
    await costPerBooking(url ? 1_000 : 30_000, url).catch(() => undefined);
    for (const size of sizes) {
      // In Redis a million bookings take a while to make; --quick stops at 100,000 and says so.
      const effective = quick && url && size === 1_000_000 ? 100_000 : size;
      try {
        const us = await costPerBooking(effective, url);
        figures.push(us);
        results.push({
          contender: `${store}: one booking with ${effective.toLocaleString('en-US')} in the window`,
          value: `${us.toFixed(1)} µs`,
          goal: 'flat across sizes',
        });
        log(
          `  ${store.padEnd(7)} ${effective.toLocaleString('en-US').padStart(9)} in the window: ${us.toFixed(1)} µs per booking`,
        );
      } catch (error) {
        results.push({
          contender: `${store}: ${effective} in the window`,
          value: `not measured: ${error.message}`,
          goal: '',
        });
      }
    }
    if (figures.length === sizes.length) {
      const spread = Math.max(...figures) / Math.min(...figures);
      goals.push(
        goal(
          `${store}: µs per booking at 1,000 / 30,000 / ${quick && url ? '100,000' : '1,000,000'} within 2× of each other`,
          spread,
          2,
          (value) => `largest ÷ smallest = ${value.toFixed(2)}`,
          'at most',
        ),
      );
    }
  }
  await redis?.stop();
  return {
    name: 'pacer',
    kind: 'measure',
    title: '7. Pacing: the cost of one booking as the window fills',
    results,
    goals,
    notes: [
      `Each booking is reserve + release with the real token count, ${BATCH} in flight; limits generous (RPM 10× the bookings, TPM 10^15) so nothing waits but both checks run. Redis goes through the failover store a gateway uses (one Lua script per booking, mirrored in memory).`,
      'Before the time buckets, a booking walked back through every booking in the rolling minute for the TPM check (and the Lua script read the whole sorted set), so its cost grew with the traffic in the window.',
    ],
  };
}
