// Load from `wrk` (Debian package `wrk`), a C load generator in its own process, so the figures are
// the servers' and not the generator's. Falls back to load.mjs (undici, also its own process) where
// wrk is not installed, and says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** True when `wrk` can run here. */
export const hasWrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;

/** The name of the generator runLoad uses, for the report. */
export const loadGenerator = hasWrk ? 'wrk (its own process, C)' : 'bench/load.mjs (undici, its own process)';

const DEFAULT_BODY = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

function wrkScript(headers, body) {
  const fence = '='.repeat(8);
  if (body.includes(`]${fence}]`)) throw new Error('request body cannot be quoted for wrk');
  const lines = [`wrk.method = "POST"`, `wrk.body = [${fence}[${body}]${fence}]`];
  for (const [name, value] of Object.entries(headers))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = [${fence}[${value}]${fence}]`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"errors\\":%d,\\"durationUs\\":%d,\\"p50Us\\":%f,\\"p95Us\\":%f}\\n",',
    '    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, summary.duration,',
    '    latency:percentile(50), latency:percentile(95)))',
    'end',
  );
  const dir = mkdtempSync(join(tmpdir(), 'gemwarden-wrk-'));
  const file = join(dir, 'post.lua');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function run(command, argv) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise(output) : reject(new Error(`${command} failed: ${output}`)),
    );
  });
}

/**
 * POSTs `body` to `url` from `concurrency` keep-alive connections for `durationMs`, after a 1 s
 * warm-up unless `warmUp` is false. Resolves with { requests, errors, rps, p50Ms, p95Ms, elapsedMs };
 * errors count non-2xx answers and socket errors.
 */
export async function runLoad(url, concurrency, durationMs, headers = {}, body = DEFAULT_BODY, { warmUp = true } = {}) {
  body ??= DEFAULT_BODY;
  const allHeaders = { 'content-type': 'application/json', 'x-goog-api-key': 'bench-load-key', ...headers };
  if (!hasWrk) {
    const output = await run(process.execPath, [
      join(here, 'load.mjs'),
      url,
      String(concurrency),
      String(durationMs),
      JSON.stringify(allHeaders),
      body,
    ]);
    return JSON.parse(output.trim().split('\n').pop());
  }
  const script = wrkScript(allHeaders, body || DEFAULT_BODY);
  const threads = String(Math.min(2, concurrency));
  const base = ['-t', threads, '-c', String(concurrency), '-s', script, '--timeout', '10s'];
  if (warmUp) await run('wrk', [...base, '-d', '1s', url]); // warm up connections, JIT and pools
  const output = await run('wrk', [...base, '-d', `${Math.max(1, Math.round(durationMs / 1000))}s`, url]);
  const line = output.split('\n').find((text) => text.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk printed no summary: ${output.slice(-400)}`);
  const stats = JSON.parse(line.slice('WRKJSON '.length));
  const elapsedMs = stats.durationUs / 1000;
  return {
    requests: stats.requests,
    errors: stats.errors,
    rps: stats.requests / (elapsedMs / 1000),
    p50Ms: stats.p50Us / 1000,
    p95Ms: stats.p95Us / 1000,
    elapsedMs,
  };
}
