// Issue #19's fleet scenario: what a fleet of gateways pays upstream to learn what one failure
// teaches. Four keys in four projects: p1's key is suspended (403), p2's daily quota is spent
// (per-day 429), p3 and p4 are healthy; gemini-2.5-pro answers 503 throughout (its fallback is
// gemini-2.5-flash). The same requests go round-robin to 1 gateway, then to 3 gateways sharing one
// redis-server (whatever state this build shares through Redis), then to 3 without Redis.
// Reported: upstream calls per success and the failed upstream calls by kind; the goal is that 3
// gateways sharing Redis pay what 1 pays.
import { startEmulator } from '../dist/emulator/index.js';
import { goal, notMeasured } from './goals.mjs';
import { post, percentile } from './http.mjs';
import { startGatewayProcess, stopProcess } from './processes.mjs';

const KEYS = [
  { key: 'bench-fleet-key-p1-0001', project: 'p1' },
  { key: 'bench-fleet-key-p2-0002', project: 'p2' },
  { key: 'bench-fleet-key-p3-0003', project: 'p3' },
  { key: 'bench-fleet-key-p4-0004', project: 'p4' },
];
/** Per-day requests of gemini-2.5-flash per project: p3 and p4 together have room for every request. */
const DAILY = 400;
const PROMPT = { contents: [{ role: 'user', parts: [{ text: 'Write one short sentence about rivers.' }] }] };

/** The emulator: p1's key suspended, a per-day limit on flash that p2 has spent, pro down. */
async function emulatorForFleet() {
  const emulator = await startEmulator({
    seed: 1,
    keys: [{ ...KEYS[0], state: 'suspended' }, KEYS[1], KEYS[2], KEYS[3]],
    models: { 'gemini-2.5-flash': { rpd: DAILY } },
    faults: [{ model: 'gemini-2.5-pro', status: 503 }],
  });
  for (let index = 0; index < DAILY; index++)
    await post(emulator.url, '/v1beta/models/gemini-2.5-flash:generateContent', PROMPT, {
      'x-goog-api-key': KEYS[1].key,
    });
  return emulator;
}

/** Sends `count` requests for gemini-2.5-pro, `concurrency` at a time, round-robin over `urls`. */
async function drive(urls, count, concurrency) {
  let next = 0;
  let ok = 0;
  const latencies = [];
  const errors = new Map();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const started = performance.now();
        try {
          const response = await fetch(`${urls[index % urls.length]}/v1beta/models/gemini-2.5-pro:generateContent`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-goog-api-key': 'fleet-client' },
            body: JSON.stringify(PROMPT),
          });
          const text = await response.text();
          if (response.status === 200) ok++;
          else
            errors.set(
              `HTTP ${response.status}: ${text.slice(0, 80)}`,
              (errors.get(`HTTP ${response.status}: ${text.slice(0, 80)}`) ?? 0) + 1,
            );
        } catch (error) {
          errors.set(String(error.message), (errors.get(String(error.message)) ?? 0) + 1);
        }
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { ok, latencies, errors };
}

export async function fleetScenario({ log, quick }) {
  const requests = quick ? 120 : 300;
  const concurrency = 12;
  let redis;
  try {
    const { startRedis } = await import('./redis.mjs');
    redis = await startRedis();
  } catch (error) {
    log(`  no redis-server: ${error.message}`);
  }
  const setups = [
    { name: '1 gateway', gateways: 1, redis: false },
    ...(redis ? [{ name: '3 gateways sharing one Redis', gateways: 3, redis: true }] : []),
    { name: '3 gateways, no Redis', gateways: 3, redis: false },
  ];
  const results = [];
  for (const setup of setups) {
    const emulator = await emulatorForFleet();
    const before = emulator.stats();
    // Each gateway names itself by host and process id (the default instance id).
    const gateways = await Promise.all(
      Array.from({ length: setup.gateways }, () =>
        startGatewayProcess({
          upstream: emulator.url,
          keys: KEYS,
          fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
          ...(setup.redis ? { redis: redis.url } : {}),
          logLevel: 'warn',
        }),
      ),
    );
    const started = performance.now();
    const outcome = await drive(
      gateways.map((gateway) => gateway.url),
      requests,
      concurrency,
    );
    const totalMs = performance.now() - started;
    await Promise.all(gateways.map((gateway) => stopProcess(gateway)));
    const stats = emulator.stats();
    await emulator.close();
    const count = (status) => (stats.byStatus[status] ?? 0) - (before.byStatus[status] ?? 0);
    const row = {
      contender: setup.name,
      requests,
      successRate: outcome.ok / requests,
      upstreamCalls: stats.total - before.total,
      http429: count('429'),
      http403: count('403'),
      http503: count('503'),
      p50Ms: percentile(outcome.latencies, 50),
      p95Ms: percentile(outcome.latencies, 95),
      totalMs,
      optimumMs: null,
      ...(outcome.errors.size > 0 ? { commonError: [...outcome.errors].sort((a, b) => b[1] - a[1])[0][0] } : {}),
    };
    results.push(row);
    log(
      `  ${setup.name.padEnd(30)} success ${(row.successRate * 100).toFixed(0).padStart(3)}%  calls ${row.upstreamCalls}  403s ${row.http403}  429s ${row.http429}  503s ${row.http503}  total ${(totalMs / 1000).toFixed(1)} s`,
    );
  }
  await redis?.stop();
  const one = results.find((row) => row.contender === '1 gateway');
  const shared = results.find((row) => row.contender === '3 gateways sharing one Redis');
  const perSuccess = (row) => row.upstreamCalls / Math.max(1, row.successRate * row.requests);
  const goals = shared
    ? [
        goal(
          '3 gateways sharing Redis: upstream calls per success at most 1 gateway’s',
          perSuccess(shared) / perSuccess(one),
          1,
          (value) => `${value.toFixed(2)}× (${perSuccess(shared).toFixed(2)} vs ${perSuccess(one).toFixed(2)})`,
          'at most',
        ),
        goal(
          'a suspended key costs one 403 across the fleet',
          shared.http403,
          1,
          (value) => `${value} 403s`,
          'at most',
        ),
        goal(
          'a spent project costs what it costs 1 gateway (per-day 429s)',
          shared.http429 - one.http429,
          0,
          () => `${shared.http429} vs ${one.http429} 429s`,
          'at most',
        ),
        goal(
          'a failing model costs what it costs 1 gateway (503s before the circuit opens)',
          shared.http503 - one.http503,
          0,
          () => `${shared.http503} vs ${one.http503} 503s`,
          'at most',
        ),
      ]
    : [notMeasured('3 gateways sharing Redis', 'no redis-server on this machine')];
  return {
    name: 'fleet',
    kind: 'fleet',
    title: `9. Fleet: ${requests} requests round-robin over 1 or 3 gateways; a suspended key, a spent project, a failing model`,
    results,
    goals,
    notes: [
      `Keys in four projects: p1's is suspended (403), p2 has spent its per-day quota of gemini-2.5-flash (${DAILY} requests, spent before the run), p3 and p4 are healthy; gemini-2.5-pro answers 503 throughout and falls back to gemini-2.5-flash. ${concurrency} requests at a time, each gateway in its own process.`,
      'With Redis, the gateways share what this build keeps there (pacing and learned limits, resource owners, and whatever else of key health, parked pairs and circuits the build shares); without it each learns alone.',
    ],
  };
}
