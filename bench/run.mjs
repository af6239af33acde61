// `npm run bench [-- --quick] [-- --out FILE] [-- --only NAME]`: gemwarden side by side with the
// tools people use today, on the same emulator, in one run. Fails if a contender could not run.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../dist/emulator/index.js';
import { CONTENDERS } from './contenders.mjs';
import { percentile } from './http.mjs';
import { writeReport } from './report.mjs';
import { scenarios } from './scenarios.mjs';
import { goal } from './goals.mjs';
import { loadGenerator, runLoad } from './wrk.mjs';
import { pacingCostScenario } from './pacing-cost.mjs';
import { largeUpload } from './large-bodies.mjs';
import { embeddingsScenario } from './embeddings.mjs';
import { fleetScenario } from './fleet.mjs';
import { profileGateway } from './profile.mjs';
import {
  cpuMs,
  ROOT,
  rssMb,
  startEmulatorProcess,
  startFloorProxy,
  startGatewayProcess,
  startNode,
  stopProcess,
} from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = ROOT;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : undefined;
const beforeIndex = args.indexOf('--before');
/** Another checkout (built) to profile beside this one, e.g. main before a hot-path change. */
const before = beforeIndex >= 0 ? args[beforeIndex + 1] : undefined;
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1].split(',') : undefined;
const REQUEST_CAP_MS = quick ? 10_000 : 30_000;

const log = (line) => process.stderr.write(`${line}\n`);

/** The commit a checkout is at, for the report. */
function gitDescribe(directory) {
  const result = spawnSync('git', ['-C', directory, 'log', '-1', '--format=%h %cs'], { encoding: 'utf8' });
  return result.status === 0 ? `commit ${result.stdout.trim()}` : 'not a git checkout';
}

async function startPortkey() {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const { child } = await startNode([
    '--import',
    join(here, 'loopback-preload.mjs'),
    join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
    `--port=${port}`,
    '--headless',
  ]);
  return { child, url: `http://127.0.0.1:${port}` };
}

/** When each request reached the emulator, ms after `startedAt`, in order (it records them: recordRequests). */
async function upstreamArrivals(url, startedAt) {
  const { requests } = await (await fetch(`${url}/_emulator/requests`)).json();
  return requests.map((request) => request.at - startedAt).sort((a, b) => a - b);
}

/**
 * How long `contender` takes to carry the scenario's burst (`scenario.carry`) with no quota in the
 * way (a fresh emulator with limits far above the burst), timed on a second burst after a first one
 * warmed the processes and opened the connections. About the time a window's burst costs on this
 * machine however well it is paced, measured in the same run as the scenario; a little more, since
 * it also carries the requests from the client, which the scenario's second window already holds.
 */
async function measureCarry(scenario, contender) {
  const emulator = await startEmulator({ seed: 1, ...scenario.carry.emulator });
  const driver = await contender.setup({
    url: emulator.url,
    keys: scenario.keys,
    fallbacks: scenario.fallbacks,
    limits: scenario.carry.limits,
    clock: scenario.clock,
    policy: {},
  });
  try {
    // The scenario's second window meets a warm process with its connections open: so does this.
    await scenario.carry.run(driver);
    const started = performance.now();
    await scenario.carry.run(driver);
    return performance.now() - started;
  } finally {
    await driver.close();
    await emulator.close();
  }
}

async function failureScenario(scenario, portkeyUrl) {
  const results = [];
  for (const contender of CONTENDERS) {
    const emulator = await startEmulator({ seed: 1, ...scenario.emulator });
    await scenario.prepare?.(emulator.url);
    const before = emulator.stats();
    const driver = await contender.setup({
      url: emulator.url,
      keys: scenario.keys,
      fallbacks: scenario.fallbacks,
      limits: scenario.limits,
      clock: scenario.clock,
      portkeyUrl,
      policy: {
        ...(scenario.clock ? { rateLimitFallbackAfterMs: Math.round(scenario.clock.minuteMs / 12) } : {}),
        ...(scenario.streamRepair ? { streamRepair: scenario.streamRepair } : {}),
      },
    });
    const latencies = [];
    const errors = new Map();
    const timed = async (run) => {
      const started = performance.now();
      const result = await Promise.race([
        run(),
        new Promise((resolveCap) =>
          setTimeout(
            () => resolveCap({ ok: false, error: `no answer within ${REQUEST_CAP_MS / 1000} s` }),
            REQUEST_CAP_MS,
          ).unref(),
        ),
      ]);
      latencies.push(performance.now() - started);
      if (!result.ok) errors.set(result.error, (errors.get(result.error) ?? 0) + 1);
      return result;
    };
    const started = performance.now();
    const startedAt = Date.now();
    const outcomes = await scenario.run(driver, timed);
    const totalMs = performance.now() - started;
    const arrivals = scenario.timeline ? await upstreamArrivals(emulator.url, startedAt) : undefined;
    await driver.close();
    const stats = emulator.stats();
    await emulator.close();
    latencies.sort((a, b) => a - b);
    const ok = outcomes.filter((outcome) => outcome.ok).length;
    const row = {
      contender: contender.name,
      requests: outcomes.length,
      successRate: ok / outcomes.length,
      upstreamCalls: stats.total - before.total,
      http429: (stats.byStatus['429'] ?? 0) - (before.byStatus['429'] ?? 0),
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      totalMs,
      optimumMs: scenario.optimumMs,
    };
    if (errors.size > 0) row.commonError = [...errors].sort((a, b) => b[1] - a[1])[0][0];
    if (scenario.carry && contender.name.startsWith('gemwarden')) row.carryMs = await measureCarry(scenario, contender);
    if (arrivals) row.arrivals = arrivals;
    results.push(row);
    log(
      `  ${contender.name.padEnd(40)} success ${(row.successRate * 100).toFixed(0).padStart(3)}%  calls ${String(row.upstreamCalls).padStart(5)}  429s ${String(row.http429).padStart(4)}  total ${(totalMs / 1000).toFixed(1)} s${row.commonError ? `  (${row.commonError.slice(0, 60)})` : ''}`,
    );
  }
  const goals = scenario.goals?.(results) ?? [];
  return {
    name: scenario.name,
    title: scenario.title,
    results,
    ...(goals.length > 0 ? { goals } : {}),
    ...(scenario.notes ? { notes: scenario.notes } : {}),
  };
}

async function overheadScenario(portkeyUrl, portkeyPid) {
  const durationMs = quick ? 1500 : 5000;
  const emulator = await startEmulatorProcess();
  const proxy = await startFloorProxy(emulator.url);
  // Generous limits, as a paid-tier user configures them: pacing books every request on the hot path.
  // The default log level (info): one JSON line per request, as users run it.
  const gateway = await startGatewayProcess({
    upstream: emulator.url,
    keys: ['bench-load-key-0001'],
    limits: { 'gemini-2.5-flash': { rpm: 100_000_000, tpm: 100_000_000_000 } },
  });
  const path = '/v1beta/models/gemini-2.5-flash:generateContent';
  const chat = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
  const targets = [
    { name: 'direct to the emulator', url: `${emulator.url}${path}`, pid: emulator.pid },
    { name: 'bare Node reverse proxy (floor)', url: `${proxy.url}${path}`, pid: proxy.pid },
    { name: 'gemwarden gateway', url: `${gateway.url}${path}`, pid: gateway.pid },
    {
      name: 'Portkey gateway',
      pid: portkeyPid,
      url: `${portkeyUrl}/v1/chat/completions`,
      headers: {
        'x-portkey-provider': 'google',
        authorization: 'Bearer bench-load-key',
        'x-portkey-custom-host': emulator.url,
      },
      body: chat,
    },
  ];
  const results = [];
  for (const concurrency of [1, 32]) {
    let direct;
    for (const target of targets) {
      // Warm-up (connections, JIT, pools), then the measured run with the server's CPU time around it.
      await runLoad(target.url, concurrency, 1000, target.headers, target.body, { warmUp: false });
      const cpuBefore = cpuMs(target.pid);
      const stats = await runLoad(target.url, concurrency, durationMs, target.headers, target.body, { warmUp: false });
      const serverCpuUs = ((cpuMs(target.pid) - cpuBefore) * 1000) / Math.max(1, stats.requests);
      if (stats.requests === 0 || stats.errors === stats.requests)
        throw new Error(`${target.name} could not serve the load: ${JSON.stringify(stats)}`);
      if (!direct) direct = stats;
      const row = {
        contender: target.name,
        concurrency,
        requests: stats.requests,
        successRate: 1 - stats.errors / stats.requests,
        upstreamCalls: null,
        http429: 0,
        p50Ms: stats.p50Ms,
        p95Ms: stats.p95Ms,
        totalMs: stats.elapsedMs,
        optimumMs: null,
        rps: stats.rps,
        addedP50Ms: stats.p50Ms - direct.p50Ms,
        serverCpuUs,
      };
      results.push(row);
      log(
        `  ${target.name.padEnd(34)} c=${String(concurrency).padEnd(3)} ${stats.rps.toFixed(0).padStart(6)} req/s  p50 ${stats.p50Ms.toFixed(2)} ms  p95 ${stats.p95Ms.toFixed(2)} ms  added p50 ${row.addedP50Ms.toFixed(2)} ms`,
      );
    }
  }
  // Memory of the gateway holding 500 open streams.
  const slowEmulator = await startEmulatorProcess({ config: join(here, 'slow-streams.json') });
  const streamGateway = await startGatewayProcess({ upstream: slowEmulator.url, keys: ['bench-load-key-0001'] });
  const controller = new AbortController();
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Tell a long story' }] }] });
  const opened = await Promise.all(
    Array.from({ length: 500 }, () =>
      fetch(`${streamGateway.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
        method: 'POST',
        body,
        signal: controller.signal,
        headers: { 'content-type': 'application/json' },
      })
        .then((response) => response.body.getReader().read())
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  const streamsRssMb = rssMb(streamGateway.pid);
  controller.abort();
  results.push({
    contender: 'gemwarden gateway, RSS with 500 open streams',
    concurrency: 500,
    requests: opened.filter(Boolean).length,
    successRate: opened.filter(Boolean).length / 500,
    upstreamCalls: null,
    http429: 0,
    p50Ms: null,
    p95Ms: null,
    totalMs: null,
    optimumMs: null,
    rssMb: streamsRssMb,
  });
  log(`  gemwarden gateway RSS with ${opened.filter(Boolean).length} open streams: ${streamsRssMb.toFixed(0)} MB`);
  // Large bodies and embeddings through the pass-through, against the same emulator and floor proxy.
  const large = await largeUpload({ emulatorUrl: emulator.url, floorUrl: proxy.url, quick });
  results.push(...large.results);
  await Promise.all([emulator, proxy, gateway, slowEmulator, streamGateway].map((started) => stopProcess(started)));
  const row = (name, concurrency) =>
    results.find((result) => result.contender === name && result.concurrency === concurrency);
  const gateway32 = row('gemwarden gateway', 32);
  const floor32 = row('bare Node reverse proxy (floor)', 32);
  const portkey32 = row('Portkey gateway', 32);
  const gateway1 = row('gemwarden gateway', 1);
  const goals = [
    goal(
      'requests/s at c=32: at least 5× Portkey',
      gateway32.rps / portkey32.rps,
      5,
      (value) => `${value.toFixed(2)}× (${gateway32.rps.toFixed(0)} vs ${portkey32.rps.toFixed(0)} req/s)`,
    ),
    goal(
      'requests/s at c=32: at least 90% of the bare Node proxy',
      gateway32.rps / floor32.rps,
      0.9,
      (value) => `${(value * 100).toFixed(0)}% (${gateway32.rps.toFixed(0)} vs ${floor32.rps.toFixed(0)} req/s)`,
    ),
    goal(
      'added p50 at c=1: at most 0.5 ms over direct',
      gateway1.addedP50Ms,
      0.5,
      (value) =>
        `${value.toFixed(2)} ms (the floor proxy adds ${row('bare Node reverse proxy (floor)', 1).addedP50Ms.toFixed(2)} ms)`,
      'at most',
    ),
    goal('RSS with 500 open streams: under 150 MB', streamsRssMb, 150, (value) => `${value.toFixed(0)} MB`, 'at most'),
    ...large.goals,
  ];
  return {
    name: 'overhead',
    kind: 'overhead',
    title: '6. Overhead: between client and emulator at zero latency',
    results,
    goals,
    notes: [
      `Load generator: ${loadGenerator}, ${durationMs / 1000} s per target after a 1 s warm-up. The gateway has generous limits configured (RPM 100,000,000), so pacing books every request.`,
      'The load generator, the emulator and each gateway run in separate processes on the same 2 cores, so each competes with the others for CPU.',
      "Server CPU µs per request: the CPU time (user + system, from /proc) of the process that answers the client (the emulator when direct, else the proxy or gateway; not the emulator behind it) over the measured run, divided by the requests served. It moves far less with the machine's load than latency does, and on 2 shared cores it is what bounds requests/s: the gateway's share of the CPU against the floor proxy's explains the requests/s goal.",
      ...large.notes,
    ],
  };
}

const all = scenarios(quick).filter((scenario) => !only || only.includes(scenario.name));
const { loadavg } = await import('node:os');
const runStarted = new Date();
const loadStart = loadavg()[0];
const portkey = await startPortkey();
const output = {
  quick,
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  scenarios: [],
};
try {
  for (const scenario of all) {
    log(`\n${scenario.title}`);
    output.scenarios.push(await failureScenario(scenario, portkey.url));
  }
  if (!only || only.includes('overhead')) {
    log('\n6. Overhead');
    output.scenarios.push(await overheadScenario(portkey.url, portkey.child.pid));
  }
  if (!only || only.includes('pacer')) {
    log('\n7. Pacing: cost of one booking');
    output.scenarios.push(await pacingCostScenario({ quick, log }));
  }
  if (!only || only.includes('embeddings')) {
    log('\n8. Embeddings');
    output.scenarios.push(await embeddingsScenario({ log, capMs: 60_000 }));
  }
  if (!only || only.includes('fleet')) {
    log('\n9. Fleet');
    output.scenarios.push(await fleetScenario({ log, quick }));
  }
  if (!only || only.includes('profile')) {
    log('\n10. Profile');
    const seconds = quick ? 4 : 8;
    const builds = [
      ...(before ? [[`Before: ${before} (${gitDescribe(before)})`, before]] : []),
      [`${before ? 'After: ' : ''}this checkout (${gitDescribe(root)})`, root],
    ];
    const sections = [];
    for (const [label, build] of builds) {
      const lines = await profileGateway({ build, seconds });
      log(`  ${label}: ${lines[0].slice(0, 160)}`);
      sections.push(`### ${label}`, '', ...lines, '');
    }
    output.scenarios.push({
      name: 'profile',
      kind: 'text',
      title: "10. Where the gateway's CPU goes (`node bench/profile.mjs`)",
      lines: sections,
      notes: [
        `\`gemwarden serve\` with generous limits (RPM 100,000,000: pacing books every request), driven by wrk at c=32; the V8 profiler (100 µs sampling) runs only during the ${seconds} s measured window, after a 2 s warm-up, so start-up (module loading and compilation) is not in it. Self time is each function's own; "native" is time outside JavaScript (socket reads and writes, the HTTP parser, GC).`,
      ],
    });
  }
} finally {
  await stopProcess(portkey);
}
const runEnded = new Date();
output.run = {
  startedAt: runStarted.toISOString().slice(11, 19),
  endedAt: runEnded.toISOString().slice(11, 19),
  seconds: (runEnded - runStarted) / 1000,
  loadStart,
  loadEnd: loadavg()[0],
};
if (only) output.only = only;
log(
  `\nthe run took ${(output.run.seconds / 60).toFixed(1)} min; load average ${loadStart.toFixed(2)} → ${output.run.loadEnd.toFixed(2)}`,
);
writeReport(output, { quick });
if (out) writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
log(`\nwrote bench/RESULTS.md${out ? ` and ${out}` : ''}`);
process.exit(0);
