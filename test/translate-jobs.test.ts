// gemwarden translate as a long job, run as a process against the emulator over real sockets: spent
// daily quota (partial output, lines left, no answer lost, the quota used to the last request),
// --wait-for-reset on the emulator's compressed clock, one runner per job, clear errors for a
// damaged checkpoint and a missing output folder, a sane progress line, markup the model broke.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rot13, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { BIN, ROOT, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
function workspace(extra: Record<string, unknown> = {}, lines = 40): { dir: string; config: string; input: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-translate-jobs-'));
  const config = join(dir, 'gemwarden.json');
  writeFileSync(config, JSON.stringify({ upstream: emulator!.url, keys: ['translate-jobs-0001'], ...extra }));
  const input = join(dir, 'script.txt');
  writeFileSync(
    input,
    Array.from({ length: lines }, (_, index) => `Line number ${index + 1} of the scene.`).join('\n'),
  );
  return { dir, config, input };
}

async function start(config: EmulatorConfig): Promise<EmulatorHandle> {
  emulator = await startTestEmulator(config);
  return emulator;
}

function savedLines(dir: string): number {
  const db = new Database(join(dir, '.gemwarden-translate.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM lines WHERE translation IS NOT NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('gemwarden translate: out of quota', () => {
  it('at concurrency 8 uses the day to its last request, keeps every answer, writes the partial output and counts the lines left', async () => {
    await start({ models: { 'gemini-2.5-flash': { rpd: 5 } }, latency: { firstTokenMs: 150 } });
    const { dir, config, input } = workspace();
    const result = await runCli(
      ['translate', input, '--to', 'fr', '--config', config, '--batch', '2', '--concurrency', '8', '--context', '0'],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(3);
    expect(emulator!.stats().byStatus['200']).toBe(5); // the day's 5 requests all answered and used
    expect(savedLines(dir)).toBe(10); // 5 answers × 2 lines, none thrown away
    expect(result.stderr).toMatch(/10 translated now/);
    expect(result.stderr).toMatch(/lines left to translate: 30 of 40/);
    expect(result.stderr).toMatch(/the quota resets at \d\d:\d\d:\d\d [A-Z][\w+:-]* \(in /);
    expect(result.stderr).toMatch(/written \(partial: 30 line\(s\) still in the source language\)/);
    const output = readFileSync(join(dir, 'script.fr.txt'), 'utf8').split('\n');
    const source = readFileSync(input, 'utf8').split('\n');
    const translated = output.filter((line, index) => line === rot13(source[index]!));
    const untouched = output.filter((line, index) => line === source[index]);
    expect(translated).toHaveLength(10);
    expect(untouched).toHaveLength(30);
  }, 60_000);

  it('--wait-for-reset sleeps until the reset on the compressed clock and finishes the file', async () => {
    const clock = { dayMs: 2500 };
    await start({ models: { 'gemini-2.5-flash': { rpd: 2 } }, clock });
    // The gateway config's quotaWindows match the emulator's compressed day: resets come from it.
    const { dir, config, input } = workspace({ quotaWindows: clock }, 12);
    const result = await runCli(
      ['translate', input, '--to', 'fr', '--config', config, '--batch', '2', '--concurrency', '2', '--wait-for-reset'],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    // The client knows the compressed day, so it waits for the reset itself (a short park) where
    // translate would otherwise wait and renew the client: either way the wait is shown.
    expect(result.stderr).toMatch(/waiting for quota (reset )?until \d\d:\d\d:\d\d \S+ \(in \d+s\)/);
    expect(emulator!.stats().byStatus['200']).toBe(6);
    const source = readFileSync(input, 'utf8').split('\n');
    expect(readFileSync(join(dir, 'script.fr.txt'), 'utf8')).toBe(source.map((line) => rot13(line)).join('\n'));
  }, 60_000);
});

describe('gemwarden translate: one job, one runner', () => {
  it('a second run of the same job says who holds it and exits 4; with --wait it waits, and no line is sent twice', async () => {
    await start({ latency: { firstTokenMs: 1_200 } });
    const { dir, config, input } = workspace({}, 40);
    const args = ['translate', input, '--to', 'fr', '--config', config, '--batch', '4', '--concurrency', '1'];
    const first = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
    const firstDone = new Promise<number | null>((resolve) => first.on('exit', resolve));
    // Wait until the first run holds the lock (its checkpoint exists and has a lock row).
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const db = new Database(join(dir, '.gemwarden-translate.sqlite'), { readonly: true });
        const held = db.prepare('SELECT COUNT(*) AS n FROM job_locks').get() as { n: number };
        db.close();
        if (held.n > 0) break;
      } catch {
        // not created yet
      }
      if (Date.now() > deadline) throw new Error('the first run never took its lock');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Both start while the first holds the lock (on a loaded machine a CLI start takes seconds, so
    // starting the waiting run only after the refused one ended could find the job already done).
    const thirdRun = runCli([...args, '--wait'], { timeoutMs: 60_000 });
    const second = await runCli(args, { timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(4);
    expect(second.stderr).toMatch(
      new RegExp(`another run is translating this job: pid ${first.pid} on \\S+, since \\d{4}-\\d\\d-\\d\\dT`),
    );
    const third = await thirdRun;
    expect(await firstDone).toBe(0);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(new RegExp(`pid ${first.pid} on \\S+ is translating this job`));
    expect(third.stderr).toMatch(/40 from the checkpoint/);
    expect(emulator!.stats().byStatus['200']).toBe(10); // 40 lines in batches of 4, sent once
  }, 90_000);
});

describe('gemwarden translate: clear errors', () => {
  it('a damaged checkpoint names its path and the remedy (exit 2)', async () => {
    await start({});
    const { dir, config, input } = workspace({}, 3);
    const checkpoint = join(dir, '.gemwarden-translate.sqlite');
    writeFileSync(checkpoint, 'this is not a database, it was overwritten by something else\n'.repeat(100));
    const result = await runCli(['translate', input, '--to', 'fr', '--config', config]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`the checkpoint ${checkpoint} cannot be used`);
    expect(result.stderr).toMatch(/move it away or delete it/);
    expect(emulator!.stats().total ?? 0).toBe(0);
  });

  it('a missing --out folder names the folder and how to create it (exit 2), before any request', async () => {
    await start({});
    const { dir, config, input } = workspace({}, 3);
    const missing = join(dir, 'no', 'such', 'folder');
    const result = await runCli([
      'translate',
      input,
      '--to',
      'fr',
      '--config',
      config,
      '--out',
      join(missing, 'x.txt'),
    ]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`the output folder ${missing} does not exist: create it (mkdir -p "${missing}")`);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('gemwarden translate: progress', () => {
  it('shows an estimate from the first finished line, never NaN or Infinity, and a resume does not count saved lines as speed', async () => {
    await start({ latency: { firstTokenMs: 100 } });
    const { config, input } = workspace({}, 30);
    const args = ['translate', input, '--to', 'fr', '--config', config, '--batch', '5', '--concurrency', '1'];
    const first = await runCli(args, { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stderr.split('\n').filter((line) => line.startsWith('translate: '));
    expect(lines[0]).toMatch(/^translate: 0\/30 lines \(0%\), – lines\/min, ETA estimating, translating$/);
    expect(lines.some((line) => /^translate: \d+\/30 lines .*, \d+ lines\/min, ETA \d+(s|m \d+s), /.test(line))).toBe(
      true,
    );
    expect(first.stderr).not.toMatch(/NaN|Infinity|NFs/);
    const resumed = await runCli(args, { timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/30 from the checkpoint/);
    expect(resumed.stderr).not.toMatch(/\d{4,} lines\/min/);
  }, 90_000);
});

describe('gemwarden translate: markup the model breaks', () => {
  it('a reply that loses a [r] tag is asked again, then the line is left in the source language and listed', async () => {
    let calls = 0;
    // An upstream on loopback whose "model" drops every markup token it was given.
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls++;
        const parsed = JSON.parse(body) as { contents: Array<{ parts: Array<{ text: string }> }> };
        const prompt = parsed.contents.at(-1)!.parts[0]!.text;
        const lines = JSON.parse(prompt.slice(prompt.lastIndexOf('\n{') + 1)) as Record<string, string>;
        const answer = Object.fromEntries(Object.entries(lines).map(([id, text]) => [id, text.replace(/⟦\d+⟧/g, '')]));
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            candidates: [
              { content: { role: 'model', parts: [{ text: JSON.stringify(answer) }] }, finishReason: 'STOP', index: 0 },
            ],
            usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 5, totalTokenCount: 10 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'gw-translate-markup-'));
      const config = join(dir, 'gemwarden.json');
      const { port } = server.address() as { port: number };
      writeFileSync(config, JSON.stringify({ upstream: `http://127.0.0.1:${port}`, keys: ['translate-jobs-0001'] }));
      const input = join(dir, 'scene.ks');
      writeFileSync(input, '*start\nHello there.[r]\nA plain line.\n');
      const result = await runCli(['translate', input, '--to', 'fr', '--config', config, '--context', '0']);
      expect(result.code, result.stderr).toBe(0);
      expect(calls).toBe(2); // the batch, then the broken line again on its own
      expect(result.stderr).toMatch(/L2: the reply broke its markup \(markup lost: "\[r\]"\)/);
      expect(readFileSync(join(dir, 'scene.fr.ks'), 'utf8')).toBe('*start\nHello there.[r]\nA plain line.\n');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
