// The bench's child processes, started one way: the emulator, `gemwarden serve`, the floor proxy
// and peer servers each run in a process of their own (as users run them), print the URL they
// listen on, and are killed when the bench exits. Shared by run.mjs, profile.mjs, large-bodies.mjs
// and the scenarios that need a gateway of their own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** This checkout's root (its bin/ and dist/ are what the bench measures). */
export const ROOT = resolve(here, '..');

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** What servers print once they listen: ours say "listening on URL", Portkey "running at: URL". */
const LISTENING = /(?:listening on|running at:\S*\s*\S*)\s*(http:\/\/[\w.:[\]]+)/;

/**
 * Starts `command argv` (cwd `options.cwd`, default ROOT) and resolves with { child, url, pid }
 * once it prints the URL it listens on; rejects if it exits first or prints nothing within 30 s.
 * Only the last 4 KB of its output are kept (a server that logs every request must not fill memory).
 */
export function startProcess(command, argv, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start: ${output.slice(-500)}`)), 30_000);
    const onData = (chunk) => {
      output = (output + chunk.toString()).slice(-4096);
      if (found) return;
      const match = LISTENING.exec(output.replace(/\u001b\[[0-9;]*m/g, ''));
      if (match) {
        found = true;
        clearTimeout(timer);
        resolvePromise({ child, pid: child.pid, url: match[1].replace('localhost', '127.0.0.1') });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`${argv.join(' ')} exited ${code}: ${output.slice(-500)}`));
    });
  });
}

/** Starts a Node script of this checkout (or `root`) in its own process; see startProcess. */
export function startNode(argv, { root = ROOT, nodeArgs = [], env, stdio } = {}) {
  return startProcess(process.execPath, [...nodeArgs, ...argv], {
    cwd: root,
    ...(env ? { env } : {}),
    ...(stdio ? { stdio } : {}),
  });
}

/** `gemwarden emulate` in its own process, optionally with an emulator config file. */
export function startEmulatorProcess({ config, root = ROOT } = {}) {
  return startNode(['bin/gemwarden.js', 'emulate', '--port', '0', ...(config ? ['--config', config] : [])], { root });
}

/**
 * `gemwarden serve` in its own process with `config` (a gateway config object, written to a
 * temporary file), at the log level users get by default (one line per request) unless the config
 * says otherwise. Its JSON logs (standard output) go to /dev/null, as a log shipper would take them
 * away; "listening on" comes on standard error. `nodeArgs` go to Node (e.g. a profiling preload).
 */
export function startGatewayProcess(config, { root = ROOT, nodeArgs = [], env } = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'gemwarden-bench-')), 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  return startNode(['bin/gemwarden.js', 'serve', '--port', '0', '--config', file], {
    root,
    nodeArgs,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** The bare Node reverse proxy (the floor) in front of `upstreamUrl`. */
export function startFloorProxy(upstreamUrl) {
  return startNode([join(here, 'proxy.mjs'), upstreamUrl]);
}

/** Stops a started process with `signal` and resolves once it has exited (SIGKILL after `graceMs`). */
export function stopProcess(handle, { signal = 'SIGTERM', graceMs = 10_000 } = {}) {
  const { child } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill(signal);
  });
}

/** Resident memory of a process, MB (Linux /proc). */
export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time a process has used so far (user + system), ms (Linux /proc; 10 ms resolution). Unlike
 * latency, CPU per request changes little with the machine's load: the bench reports it beside
 * requests/s.
 */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}
