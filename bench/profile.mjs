// `node bench/profile.mjs [ROOT] [--seconds N]`: CPU profile of the gateway under load, measured
// window only. Starts the emulator and `gemwarden serve` (generous pacing limits, so pacing is on the
// hot path) from ROOT's built dist/ (default: this checkout), warms the gateway up, then profiles it
// while 32 keep-alive connections (wrk when installed, in its own process) drive it for N seconds,
// and prints the top frames by self time as a Markdown table, plus the inclusive time of the
// gateway's own stages. Start-up (module loading and compilation) is outside the profile: see
// profile-preload.mjs. Used for the before/after frames in RESULTS.md.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, startEmulatorProcess, startGatewayProcess, stopProcess } from './processes.mjs';
import { loadGenerator, runLoad } from './wrk.mjs';

/** The build being profiled (its dist/ and node_modules/): frames are named relative to it. */
let root = ROOT;

/** Where a profile frame is, relative to `root` for our files. */
function whereOf(frame) {
  const file = frame.url.startsWith('file:') ? relative(root, fileURLToPath(frame.url)) : frame.url;
  return file ? `${file}:${frame.lineNumber + 1}` : '';
}

/** Self time per function (name, file:line), as percentages of the samples that ran JavaScript or GC. */
export function topFrames(profile, count = 20) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id).callFrame;
    const key = `${frame.functionName || '(anonymous)'}|${whereOf(frame)}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[index] ?? 0));
  });
  const idle = [...selfUs].filter(([key]) => key.startsWith('(idle)|')).reduce((sum, [, us]) => sum + us, 0);
  const total = [...selfUs.values()].reduce((sum, us) => sum + us, 0) - idle;
  return {
    busyUs: total,
    frames: [...selfUs]
      .filter(([key]) => !key.startsWith('(idle)|'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, us]) => {
        const [name, where] = key.split('|');
        return { name, where, percent: (100 * us) / total };
      }),
  };
}

/** Self time grouped by where the code lives (one of our dist/ folders, an npm package, a Node internal area, native). */
export function selfByArea(profile, count = 14) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') return;
    const us = profile.timeDeltas[index] ?? 0;
    busy += us;
    const where = whereOf(frame);
    let area = '(native: syscalls, GC, the V8 runtime)';
    if (/node_modules\//.test(where)) area = `npm: ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)[1]}`;
    else if (/^dist\//.test(where)) area = `gemwarden: ${where.split('/').slice(0, 2).join('/')}/`;
    else if (where.startsWith('node:internal/deps/undici'))
      area = 'Node: fetch, Request, Response, Headers (bundled undici)';
    else if (where.startsWith('node:internal/webstreams')) area = 'Node: web streams';
    else if (where.startsWith('node:')) area = `Node: ${where.replace(/^node:(internal\/)?/, '').split(/[/:]/)[0]}`;
    sums.set(area, (sums.get(area) ?? 0) + us);
  });
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([area, us]) => ({ area, percent: (100 * us) / busy }));
}

/**
 * Inclusive time (self plus everything below) of the frames whose file matches each pattern, as a
 * share of busy CPU: which stage of the gateway costs what. A frame counts once per sample even
 * when it recurses.
 */
export function inclusiveShares(profile, patterns) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const sums = new Map(patterns.map(([name]) => [name, 0]));
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    if (byId.get(id).callFrame.functionName === '(idle)') return;
    busy += us;
    const hit = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const where = whereOf(byId.get(at).callFrame);
      for (const [name, pattern] of patterns) if (pattern.test(where)) hit.add(name);
    }
    for (const name of hit) sums.set(name, sums.get(name) + us);
  });
  return patterns.map(([name]) => ({ name, percent: (100 * sums.get(name)) / busy }));
}

/**
 * Profiles `gemwarden serve` of the build at `build` (a checkout with dist/) for `seconds` under
 * 32 connections, after a warm-up. Resolves with the Markdown lines of the result (top frames,
 * self time by area, inclusive time by stage), stamped with requests/s and µs of CPU per request.
 */
export async function profileGateway({ build = ROOT, seconds = 10 } = {}) {
  root = build;
  const profileFile =
    process.env.KEEP_PROFILE ?? join(mkdtempSync(join(tmpdir(), 'gemwarden-profile-')), 'gateway.cpuprofile');
  const emulator = await startEmulatorProcess({ root });
  const gateway = await startGatewayProcess(
    {
      upstream: emulator.url,
      keys: ['bench-load-key-0001'],
      limits: { 'gemini-2.5-flash': { rpm: 100_000_000, tpm: 100_000_000_000 } },
    },
    {
      root,
      nodeArgs: ['--import', join(ROOT, 'bench', 'profile-preload.mjs')],
      env: { ...process.env, GEMWARDEN_PROFILE_FILE: profileFile },
    },
  );
  const url = `${gateway.url}/v1beta/models/gemini-2.5-flash:generateContent`;
  /** Resolves when the gateway prints `line` on standard error. */
  const said = (line) =>
    new Promise((resolveSaid) => {
      const onData = (chunk) => {
        if (String(chunk).includes(line)) {
          gateway.child.stderr.off('data', onData);
          resolveSaid();
        }
      };
      gateway.child.stderr.on('data', onData);
    });
  await runLoad(url, 32, 2000); // warm-up: JIT, pools, the pacing pair; not profiled
  let ready = said('profile started');
  gateway.child.kill('SIGUSR2');
  await ready;
  const stats = await runLoad(url, 32, seconds * 1000, {}, undefined, { warmUp: false });
  ready = said('profile written');
  gateway.child.kill('SIGUSR2');
  await ready;
  await stopProcess(gateway);
  await stopProcess(emulator);
  const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
  const { frames, busyUs } = topFrames(profile);
  const perRequestUs = busyUs / stats.requests;
  const stages = inclusiveShares(profile, [
    ['HTTP in and out, Fetch edge (@hono/node-server)', /@hono\/node-server/],
    ['Node edge for plain model calls (gateway/model-call-edge.js)', /dist\/gateway\/model-call-edge\.js/],
    ['router, auth, metrics, log line (gateway/server.js)', /dist\/gateway\/server\.js/],
    ['pass-through handler', /dist\/gateway\/passthrough\/handler\.js/],
    ['native route (gateway/gemini-routes.js)', /dist\/gateway\/gemini-routes\.js/],
    ['client (client/create-client.js)', /dist\/client\/create-client\.js/],
    ['pipeline engine (pipeline/engine.js)', /dist\/pipeline\/engine\.js/],
    ['pacing (pacing/)', /dist\/pacing\//],
    ['transport (transport/)', /dist\/transport\//],
    ['undici (npm package)', /node_modules\/undici\//],
    ['pino (logging)', /node_modules\/pino/],
    ['prom-client (metrics)', /node_modules\/prom-client/],
  ]);
  return [
    `Gateway at c=32 for ${seconds} s (${loadGenerator}), profiled after a 2 s warm-up: ${stats.rps.toFixed(0)} requests/s, ${stats.errors} errors, ${perRequestUs.toFixed(0)} µs of gateway CPU per request. Top frames by self time (share of non-idle CPU):`,
    '',
    '| % | function | where |',
    '|---|---|---|',
    ...frames.map((frame) => `| ${frame.percent.toFixed(1)} | \`${frame.name}\` | ${frame.where || '(native)'} |`),
    '',
    'Self time by where the code lives:',
    '',
    '| % | area |',
    '|---|---|',
    ...selfByArea(profile).map((row) => `| ${row.percent.toFixed(1)} | ${row.area} |`),
    '',
    'Inclusive share of non-idle CPU by stage (a stage includes what it calls, so stages overlap; an async function counts only until its first await):',
    '',
    '| % | stage |',
    '|---|---|',
    ...stages.map((stage) => `| ${stage.percent.toFixed(1)} | ${stage.name} |`),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const secondsIndex = args.indexOf('--seconds');
  const seconds = secondsIndex >= 0 ? Number(args[secondsIndex + 1]) : 10;
  const build = resolve(args.find((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--seconds') ?? ROOT);
  const lines = await profileGateway({ build, seconds });
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}
