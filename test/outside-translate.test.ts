// gemwarden translate on files the outside review found it damaging or refusing, run as a process
// against the emulator over real sockets (the emulator's model answers ROT13 of the text it gets,
// leaving markup tokens as they are). Sources of the real files: test/fixtures/translate/SOURCES.md.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rot13, startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { ROOT, runCli } from './helpers/cli.js';

const FIXTURES = join(ROOT, 'test/fixtures/translate');

let emulator: EmulatorHandle;
let dir: string;
let config: string;

beforeAll(async () => {
  emulator = await startEmulator({});
  dir = mkdtempSync(join(tmpdir(), 'gw-outside-translate-'));
  cpSync(FIXTURES, dir, { recursive: true });
  mkdirSync(join(dir, 'out'));
  config = join(dir, 'gemwarden.json');
  writeFileSync(config, JSON.stringify({ upstream: emulator.url, keys: ['outside-translate-0001'] }));
});
afterAll(async () => {
  await emulator.close();
});

async function translate(file: string, extra: string[] = []) {
  const out = join(dir, 'out', file.replaceAll('/', '_'));
  const result = await runCli(
    ['translate', join(dir, file), '--to', 'xx', '--config', config, '--out', out, ...extra],
    { timeoutMs: 60_000 },
  );
  return { ...result, out };
}

describe('gemwarden translate: what the outside review found', () => {
  it('reads a UTF-32 LE file with a BOM as UTF-32 (not as UTF-16 full of NULs) and writes it back so', async () => {
    const text = readFileSync(join(dir, 'canto-subtitle-cleaner-test.srt'), 'utf8');
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), iconv.encode(text, 'utf-32le')]);
    writeFileSync(join(dir, 'canto.utf32.srt'), bytes);
    const result = await translate('canto.utf32.srt');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/encoding: utf-32le with BOM/);
    const cues = Number(/lines: (\d+)/.exec(result.stderr)?.[1]);
    expect(cues).toBeGreaterThan(10);
    const out = readFileSync(result.out);
    expect(out.subarray(0, 4).equals(Buffer.from([0xff, 0xfe, 0x00, 0x00]))).toBe(true);
    // The same text as the UTF-8 original gives, in UTF-32.
    const utf8 = await translate('canto-subtitle-cleaner-test.srt');
    expect(utf8.code, utf8.stderr).toBe(0);
    expect(iconv.decode(out.subarray(4), 'utf-32le')).toBe(readFileSync(utf8.out, 'utf8'));
  });

  it('refuses text that decodes with NUL characters (UTF-32 read as UTF-16) and writes nothing', async () => {
    writeFileSync(join(dir, 'latin.txt'), iconv.encode('Hello there\nGood night\n', 'utf-32le'));
    const result = await translate('latin.txt', ['--encoding', 'utf-16le']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/NUL character at line 1.*--encoding/);
    expect(existsSync(result.out)).toBe(false);
  });

  it('translates SubRip cues whose timings have no milliseconds ("00:00:01 --> 00:00:10")', async () => {
    writeFileSync(join(dir, 'no-ms.srt'), '1\n00:00:01 --> 00:00:10\nThis subtitle has no milliseconds\n');
    const result = await translate('no-ms.srt');
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(result.out, 'utf8')).toBe(
      `1\n00:00:01 --> 00:00:10\n${rot13('This subtitle has no milliseconds')}\n`,
    );
  });

  it('leaves prose percentages whole: "100% sure" and "60% des cas" are not printf conversions', async () => {
    const lines = ['I am 100% sure of it', 'Dans 60% des cas, 5% fail', 'Saved %s of %d, %.1f%% done'];
    writeFileSync(
      join(dir, 'percent.srt'),
      lines.map((line, index) => `${index + 1}\n00:00:0${index},000 --> 00:00:0${index},500\n${line}\n`).join('\n'),
    );
    const result = await translate('percent.srt');
    expect(result.code, result.stderr).toBe(0);
    const out = readFileSync(result.out, 'utf8');
    // Whole words turned: with "% s" or "% d" shielded, "sure" would come back as "% sher".
    expect(out).toContain(rot13('I am 100% sure of it'));
    expect(out).toContain(rot13('Dans 60% des cas, 5% fail'));
    // Real conversions stay as they were (ROT13 would turn an unshielded %s into %f).
    expect(out).toContain('Fnirq %s bs %d, %.1f%% qbar');
  });

  it("Ren'Py strings: strftime directives and Python %r survive, the copied date format is left alone", async () => {
    const file = 'tl/czech/the-question-common.rpy';
    const result = await translate(file);
    expect(result.code, result.stderr).toBe(0);
    const input = readFileSync(join(dir, file), 'utf8');
    const out = readFileSync(result.out, 'utf8');
    expect(out.startsWith('\ufeff')).toBe(true);
    // The old "%b %d, %H:%M" line was copied to new: it has nothing to translate and stays.
    expect(out).toContain('    old "%b %d, %H:%M"\n    new "%b %d, %H:%M"\n');
    expect(out).toContain(`    old "Rectangle: %r"\n    new "${rot13('Rectangle')}: %r"\n`);
    expect(out).toContain(`    old "Mouse position: %r"\n    new "${rot13('Mouse position')}: %r"\n`);
    expect(out).toContain(`    old "Empty Slot."\n    new "${rot13('Empty Slot.')}"\n`);
    // Finished translations and every old line are kept byte for byte.
    const keep = (text: string) => text.split('\n').filter((line) => !/^\s+new /.test(line) || !line.includes('""'));
    expect(out.split('\n').length).toBe(input.split('\n').length);
    expect(out).toContain('    new "Samo-hlas zakázán."\n');
    expect(keep(input).filter((line) => !/^\s+new /.test(line))).toEqual(
      keep(out).filter((line) => !/^\s+new /.test(line)),
    );
  });

  it('translates a nested i18n JSON (objects of strings, as i18next writes them), keys and layout kept', async () => {
    const source = [
      '{',
      '  "menu": {',
      '    "start": "Start game",',
      '    "quit": "Quit"',
      '  },',
      '  "dialog": {',
      '    "greeting": "Hello, {{name}}!",',
      '    "items_one": "{{count}} item",',
      '    "items_other": "{{count}} items"',
      '  }',
      '}',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'en.json'), source);
    const result = await translate('en.json');
    expect(result.code, result.stderr).toBe(0);
    const expected = source.replace(
      /: "([^"]*)"/g,
      (_, text: string) =>
        `: "${text.replace(/\{\{\w+\}\}|[^{}]+/g, (part) => (part.startsWith('{{') ? part : rot13(part)))}"`,
    );
    expect(readFileSync(result.out, 'utf8')).toBe(expected);
  });

  it('still refuses a nested JSON that holds data (numbers, arrays) without --json-path', async () => {
    writeFileSync(join(dir, 'data.json'), '{"menu": {"start": "Start"}, "version": 3}\n');
    const result = await translate('data.json');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--json-path/);
  });
});
