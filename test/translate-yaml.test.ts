// gemwarden translate on a real Rails locale (svenfuchs/rails-i18n's en.yml; source in
// test/fixtures/translate/SOURCES.md), run as a process against the emulator over real sockets. The
// emulator's default model answers ROT13 of the text it gets, leaving markup tokens alone, so the
// expected output is known exactly: every string value changed in place, every other byte kept,
// the structure equal when re-parsed, and an interrupted run resumed from its checkpoint.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rot13, startEmulator, type EmulatorConfig, type EmulatorHandle } from '../src/emulator/index.js';
import { parseDocument } from '../src/translate/formats/index.js';
import { shield, unshield } from '../src/translate/placeholders.js';
import { ROOT, runCli } from './helpers/cli.js';

const FIXTURE = join(ROOT, 'test/fixtures/translate/rails-i18n-en.yml');
const emulators: EmulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
});

async function emulator(config: EmulatorConfig = {}): Promise<string> {
  const handle = await startEmulator(config);
  emulators.push(handle);
  return handle.url;
}

/** A directory holding the fixture and a config pointing at `upstream`. */
function workspace(upstream: string): { dir: string; input: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-translate-yaml-'));
  const input = join(dir, 'en.yml');
  copyFileSync(FIXTURE, input);
  const config = join(dir, 'gemwarden.json');
  writeFileSync(config, JSON.stringify({ upstream, keys: ['translate-yaml-0001'] }));
  return { dir, input, config };
}

/** What the ROT13 model must produce: each string value ROT13'd outside its markup, in its own style. */
function expectedOutput(source: string): string {
  const doc = parseDocument(source, 'yaml');
  return doc.render(
    new Map(
      doc.segments.map((segment) => {
        const shielded = shield(segment.text, doc.placeholders);
        const back = unshield(rot13(shielded.text), shielded);
        if (!back.ok) throw new Error(back.problem);
        return [segment.id, back.text];
      }),
    ),
  );
}

describe('gemwarden translate: YAML locale files', () => {
  it('translates a Rails en.yml in place: structure equal, untranslated bytes kept, markup intact', async () => {
    const { input, config, dir } = workspace(await emulator());
    const out = join(dir, 'xx.yml');
    const result = await runCli(['translate', input, '--to', 'xx', '--config', config, '--out', out], {
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const source = readFileSync(FIXTURE, 'utf8');
    const output = readFileSync(out, 'utf8');
    expect(output).toBe(expectedOutput(source));
    expect(output).not.toBe(source);

    const before = parse(source, { version: '1.1' }).en;
    const after = parse(output, { version: '1.1' }).en;
    // Keys, numbers, booleans, empty list items and Ruby symbols are untouched; text is translated.
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after.number.currency.format).toMatchObject({ precision: 2, significant: false, unit: '$' });
    expect(after.date.order).toEqual([':year', ':month', ':day']);
    expect(after.date.day_names[0]).toBe(rot13('Sunday'));
    expect(after.date.month_names[0]).toBeNull();
    expect(after.datetime.distance_in_words.about_x_hours).toEqual({
      one: rot13('about 1 hour'),
      other: `${rot13('about')} %{count} ${rot13('hours')}`,
    });
    expect(after.errors.messages.record_invalid).toBe(`${rot13('Validation failed:')} %{errors}`);
    expect(after.date.formats.default).toBe('%Y-%m-%d');
    expect(after.number.human.storage_units.format).toBe('%n %u');
    // Lines without a string value are byte-exact.
    const sourceLines = source.split('\n');
    const outputLines = output.split('\n');
    expect(outputLines).toHaveLength(sourceLines.length);
    for (const [index, line] of sourceLines.entries())
      if (!/:\s*\S|^\s*-\s*[A-Z]/.test(line) || /:\s*(\d+|true|false|''|:\w+)$/.test(line))
        expect(outputLines[index]).toBe(line);
  }, 120_000);

  it('resumes an interrupted run from its checkpoint, asking only for what is missing', async () => {
    const source = readFileSync(FIXTURE, 'utf8');
    // A quota of 2 requests a day stops the first run part way (exit 3, stopped cleanly).
    const limited = workspace(await emulator({ models: { 'gemini-2.5-flash': { rpd: 2 } } }));
    const args = ['translate', limited.input, '--to', 'xx', '--batch', '10', '--concurrency', '1'];
    const first = await runCli([...args, '--config', limited.config], { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(/20 translated now/);

    const fresh = join(limited.dir, 'fresh.json');
    writeFileSync(fresh, JSON.stringify({ upstream: await emulator(), keys: ['translate-yaml-0001'] }));
    const resumed = await runCli([...args, '--config', fresh], { timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/20 from the checkpoint/);
    expect(readFileSync(join(limited.dir, 'en.xx.yml'), 'utf8')).toBe(expectedOutput(source));
  }, 120_000);
});
