// gemwarden translate against the emulator: a long file under faults, kills and resumes, every
// format round-tripping with an identity model, blocked lines and spent quota.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rot13, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { BIN, ROOT, runCli } from './helpers/cli.js';
import { request } from './helpers/http.js';
import { startTestEmulator } from './helpers/stack.js';

let emulator: EmulatorHandle | undefined;
function workspace(config: Record<string, unknown>): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-translate-'));
  const file = join(dir, 'gemwarden.json');
  writeFileSync(file, JSON.stringify(config));
  return { dir, config: file };
}

function script(lines: number): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++)
    out.push(
      i % 11 === 0 ? '' : `${i % 5 === 0 ? '  ' : ''}Hero ${i}: "Welcome to the village, traveller number ${i}!"`,
    );
  return `${out.join('\n')}\n`;
}

/** The output expected from the emulator's default answer (ROT13 of each line's text). */
function expectedTranslation(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      const core = line.trim();
      return core ? line.replace(core, rot13(core)) : line;
    })
    .join('\n');
}

describe('gemwarden translate', () => {
  it('completes a 500-line file under 429s, 500s, 503s and a spent daily quota, aligned line by line', async () => {
    emulator = await startTestEmulator({
      keys: [
        { key: 'translate-k1-0001', project: 'p1' },
        { key: 'translate-k2-0002', project: 'p2' },
      ],
      models: { 'gemini-2.5-flash': { rpd: 3 } },
      faults: [
        { model: 'gemini-2.5-flash-lite', status: 500, every: 7 },
        { status: 503, rate: 0.1 },
        { status: 429, every: 9 },
      ],
      seed: 7,
    });
    const { dir, config } = workspace({
      upstream: emulator.url,
      keys: [
        { key: 'translate-k1-0001', project: 'p1' },
        { key: 'translate-k2-0002', project: 'p2' },
      ],
      fallbacks: { 'gemini-2.5-flash': ['gemini-2.5-flash-lite'] },
    });
    const input = join(dir, 'script.txt');
    const source = script(500);
    writeFileSync(input, source);
    const result = await runCli(['translate', input, '--to', 'French', '--config', config, '--batch', '20'], {
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'script.French.txt'), 'utf8')).toBe(expectedTranslation(source));
    expect(result.stderr).toMatch(/by model: .*gemini-2\.5-flash-lite/);
    const stats = emulator.stats();
    expect(stats.byStatus['429']).toBeGreaterThan(0);
    expect(stats.byStatus['500']).toBeGreaterThan(0);
    expect(stats.byStatus['503']).toBeGreaterThan(0);
  }, 120_000);

  it('survives two SIGKILLs: the resumed output equals an uninterrupted run, and no saved line is sent again', async () => {
    emulator = await startTestEmulator({ latency: { firstTokenMs: 100 }, recordRequests: 1000 });
    const source = script(240);
    const reference = workspace({ upstream: emulator.url, keys: ['translate-key-0001'] });
    writeFileSync(join(reference.dir, 'script.txt'), source);
    const clean = await runCli(
      [
        'translate',
        join(reference.dir, 'script.txt'),
        '--to',
        'fr',
        '--config',
        reference.config,
        '--batch',
        '8',
        '--concurrency',
        '2',
      ],
      { timeoutMs: 60_000 },
    );
    expect(clean.code, clean.stderr).toBe(0);
    const expected = readFileSync(join(reference.dir, 'script.fr.txt'), 'utf8');

    const { dir, config } = workspace({ upstream: emulator.url, keys: ['translate-key-0001'] });
    const input = join(dir, 'script.txt');
    writeFileSync(input, source);
    const args = [BIN, 'translate', input, '--to', 'fr', '--config', config, '--batch', '8', '--concurrency', '2'];
    const database = join(dir, '.gemwarden-translate.sqlite');
    const savedIds = () => {
      try {
        const db = new Database(database, { readonly: true });
        const ids = (
          db.prepare('SELECT line_id AS id FROM lines WHERE translation IS NOT NULL').all() as Array<{ id: string }>
        ).map((row) => row.id);
        db.close();
        return new Set(ids);
      } catch {
        return new Set<string>();
      }
    };
    const sentIds = async () => {
      const log = (await request(`${emulator!.url}/_emulator/requests`)).json as {
        requests: Array<{ prompt: string }>;
      };
      return log.requests.flatMap((entry) => {
        const objects = entry.prompt.match(/\{"L\d+".*\}/g) ?? [];
        return objects.flatMap((text) => Object.keys(JSON.parse(text) as object));
      });
    };

    for (let round = 0; round < 2; round++) {
      const before = savedIds();
      await request(`${emulator.url}/_emulator/reset`, { method: 'POST' });
      const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Kill it mid-run: once it has saved a few more batches, whatever the machine's speed.
      const deadline = Date.now() + 30_000;
      while (savedIds().size < before.size + 16 && Date.now() < deadline && child.exitCode === null)
        await new Promise((resolve) => setTimeout(resolve, 15));
      child.kill('SIGKILL');
      await exited;
      const resent = (await sentIds()).filter((id) => before.has(id));
      expect(resent).toEqual([]);
    }
    const partial = savedIds();
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(219);

    await request(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const resumed = await runCli(args.slice(1), { timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/from the checkpoint/);
    expect((await sentIds()).filter((id) => partial.has(id))).toEqual([]);
    expect(readFileSync(join(dir, 'script.fr.txt'), 'utf8')).toBe(expected);
  }, 120_000);

  const ROUND_TRIP: Array<[string, string]> = [
    ['dialogue.txt', '  Hello there!  \r\n\r\n\tTabbed line\nLast line without newline'],
    [
      'strings.json',
      '{\n    "greeting": "Hello \\u00e9l\\u00e8ve",\n    "empty": "",\n    "quote": "She said \\"hi\\"\\n then left"\n}\n',
    ],
    ['lines.json', '["one","two",  "three"]'],
    ['table.csv', 'id,text,notes\r\n1,"Hello, world",x\r\n2,"He said ""go""",\r\n3,plain,"a\nb"\r\n'],
    ['table.tsv', 'id\ttext\n1\tBonjour tout le monde\n2\t  spaced  \n'],
    [
      'movie.srt',
      '1\n00:00:01,000 --> 00:00:03,500\nHello there.\nHow are you?\n\n2\n00:00:04,000 --> 00:00:05,000\n<i>Fine.</i>\n',
    ],
  ];
  for (const [name, content] of ROUND_TRIP) {
    it(`round-trips ${name} byte for byte with an identity model`, async () => {
      emulator = await startTestEmulator({ models: { identity: { answer: 'echo' } } });
      const { dir, config } = workspace({ upstream: emulator.url, keys: ['translate-key-0001'] });
      const input = join(dir, name);
      writeFileSync(input, content);
      const result = await runCli([
        'translate',
        input,
        '--to',
        'xx',
        '--model',
        'identity',
        '--config',
        config,
        '--out',
        join(dir, `out-${name}`),
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(join(dir, `out-${name}`), 'utf8')).toBe(content);
    });
  }

  it('a blocked line is marked, the rest is translated, and the line is listed at the end', async () => {
    emulator = await startTestEmulator({ faults: [{ promptContains: 'FORBIDDEN', finishReason: 'SAFETY' }] });
    const { dir, config } = workspace({ upstream: emulator.url, keys: ['translate-key-0001'] });
    const input = join(dir, 'script.txt');
    const lines = Array.from({ length: 12 }, (_, index) => (index === 6 ? 'A FORBIDDEN line' : `Line ${index + 1}`));
    writeFileSync(input, `${lines.join('\n')}\n`);
    const result = await runCli([
      'translate',
      input,
      '--to',
      'fr',
      '--config',
      config,
      '--batch',
      '12',
      '--context',
      '0',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/left untranslated: 1 line/);
    expect(result.stderr).toMatch(/L7: blocked by a filter \(SAFETY\)/);
    const output = readFileSync(join(dir, 'script.fr.txt'), 'utf8').split('\n');
    expect(output[6]).toBe('A FORBIDDEN line');
    expect(output[0]).toBe(rot13('Line 1'));
  });

  it('stops cleanly when every key and model is out of quota, saying when it resumes', async () => {
    const config: EmulatorConfig = { models: { 'gemini-2.5-flash': { rpd: 1 } } };
    emulator = await startTestEmulator(config);
    const { dir, config: file } = workspace({ upstream: emulator.url, keys: ['translate-key-0001'] });
    const input = join(dir, 'script.txt');
    writeFileSync(input, script(40));
    const result = await runCli([
      'translate',
      input,
      '--to',
      'fr',
      '--config',
      file,
      '--batch',
      '10',
      '--concurrency',
      '1',
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/stopped cleanly, out of quota: the quota resets at \d\d:\d\d:\d\d \S+ \(in [^)]+\)/);
    expect(result.stderr).toMatch(/10 translated now/);
  });

  it('refuses bad input with a clear message', async () => {
    const { dir, config } = workspace({ upstream: 'http://127.0.0.1:9', keys: ['translate-key-0001'] });
    const input = join(dir, 'broken.json');
    writeFileSync(input, '{"a": [1, 2]}');
    const result = await runCli(['translate', input, '--to', 'fr', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a string/);
    const missing = await runCli(['translate', join(dir, 'nope.txt'), '--to', 'fr', '--config', config]);
    expect(missing.code).toBe(2);
  });
});
