// `node bench/profile.mjs [ROOT] [--seconds N]`: CPU profile of the gateway under load. Starts the
// emulator and `gemwarden serve` (with generous pacing limits, so pacing is on the hot path) from
// ROOT's built dist/ (default: this checkout), drives it with 32 keep-alive connections for N seconds
// (wrk when installed), stops it cleanly so Node writes the profile (`node --cpu-prof`), and prints
// the top frames by self time as a Markdown table. Used for the before/after frames in RESULTS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGenerator, runLoad } from './wrk.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const secondsIndex = args.indexOf('--seconds');
const seconds = secondsIndex >= 0 ? Number(args[secondsIndex + 1]) : 10;
const root = resolve(
  args.find((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--seconds') ?? join(here, '..'),
);

const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

function start(argv) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on\s+(http:\/\/[\w.:[\]]+)/.exec(output);
      if (match) resolvePromise({ child, url: match[1].replace('localhost', '127.0.0.1') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${output.slice(-400)}`)));
  });
}

/** Self time per function (name, file:line), as percentages of the samples that ran JavaScript or GC. */
export function topFrames(profile, count = 15) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id).callFrame;
    const file = frame.url.startsWith('file:') ? relative(root, fileURLToPath(frame.url)) : frame.url;
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}|${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[index] ?? 0));
  });
  const idle = [...selfUs].filter(([key]) => key.startsWith('(idle)|')).reduce((sum, [, us]) => sum + us, 0);
  const total = [...selfUs.values()].reduce((sum, us) => sum + us, 0) - idle;
  return [...selfUs]
    .filter(([key]) => !key.startsWith('(idle)|'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => {
      const [name, where] = key.split('|');
      return { name, where, percent: (100 * us) / total };
    });
}

const profileDir = mkdtempSync(join(tmpdir(), 'gemwarden-profile-'));
const emulator = await start(['bin/gemwarden.js', 'emulate', '--port', '0']);
const configPath = join(profileDir, 'gateway.json');
writeFileSync(
  configPath,
  JSON.stringify({
    upstream: emulator.url,
    keys: ['bench-load-key-0001'],
    logLevel: 'warn',
    limits: { 'gemini-2.5-flash': { rpm: 100_000_000, tpm: 100_000_000_000 } },
  }),
);
const gateway = await start([
  '--cpu-prof',
  `--cpu-prof-dir=${profileDir}`,
  'bin/gemwarden.js',
  'serve',
  '--port',
  '0',
  '--config',
  configPath,
]);
const stats = await runLoad(`${gateway.url}/v1beta/models/gemini-2.5-flash:generateContent`, 32, seconds * 1000);
await new Promise((resolveExit) => {
  gateway.child.removeAllListeners('exit');
  gateway.child.once('exit', resolveExit);
  gateway.child.kill('SIGTERM');
});
emulator.child.kill('SIGTERM');
const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error('the gateway wrote no profile');
const frames = topFrames(JSON.parse(readFileSync(join(profileDir, file), 'utf8')));
const lines = [
  `Gateway at c=32 for ${seconds} s (${loadGenerator}): ${stats.rps.toFixed(0)} requests/s, ${stats.errors} errors. Top frames by self time (share of non-idle CPU):`,
  '',
  '| % | function | where |',
  '|---|---|---|',
  ...frames.map((frame) => `| ${frame.percent.toFixed(1)} | \`${frame.name}\` | ${frame.where || '(native)'} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
