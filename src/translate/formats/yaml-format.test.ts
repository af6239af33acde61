import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { detectFormat, parseDocument } from './index.js';
import { plainSafe } from './yaml-format.js';

const doc = (source: string) => parseDocument(source, 'yaml');
const render = (source: string, translate: (text: string) => string) => {
  const parsed = doc(source);
  return parsed.render(new Map(parsed.segments.map((segment) => [segment.id, translate(segment.text)])));
};

describe('yaml format', () => {
  it('is chosen for .yml and .yaml', () => {
    expect(detectFormat('config/locales/en.yml', '')).toBe('yaml');
    expect(detectFormat('lang/EN.YAML', '')).toBe('yaml');
  });

  it('translates string values only, keeping keys, comments, numbers, booleans, null and aliases', () => {
    const source = [
      '\ufeff# Menu texts\r',
      'en:\r',
      '  menu:\r',
      '    start: "Start game"   # shown first\r',
      "    quit: 'Quit'\r",
      '    title: &title Dragon quest\r',
      '    again: *title\r',
      '    count: 3\r',
      '    enabled: yes\r',
      '    none: ~\r',
      '    order: [:year, :month]\r',
      '    days:\r',
      '    - Sun\r',
      '    - Mon\r',
      '',
    ].join('\n');
    const parsed = doc(source);
    expect(parsed.segments).toEqual([
      { id: '/en/menu/start', text: 'Start game' },
      { id: '/en/menu/quit', text: 'Quit' },
      { id: '/en/menu/title', text: 'Dragon quest' },
      { id: '/en/menu/days/0', text: 'Sun' },
      { id: '/en/menu/days/1', text: 'Mon' },
    ]);
    const out = render(source, (text) => text.toUpperCase());
    expect(out).toBe(
      source
        .replace('"Start game"', '"START GAME"')
        .replace("'Quit'", "'QUIT'")
        .replace('&title Dragon quest', '&title DRAGON QUEST')
        .replace('- Sun', '- SUN')
        .replace('- Mon', '- MON'),
    );
    // The alias follows its anchor.
    expect(parse(out).en.menu.again).toBe('DRAGON QUEST');
    expect(render(source, (text) => text)).toBe(source);
  });

  it('re-quotes a plain scalar whose translation YAML would read otherwise', () => {
    const source = 'en:\n  a: Hello\n  b: World\n  c: Yes please\n  d: Fine\n  e: Ok\n';
    const replies: Record<string, string> = {
      Hello: 'Note: read this',
      World: '- dash # not a comment',
      'Yes please': 'yes',
      Fine: '42',
      Ok: "l'été",
    };
    const out = render(source, (text) => replies[text]!);
    expect(parse(out, { version: '1.1' })).toEqual({
      en: { a: 'Note: read this', b: '- dash # not a comment', c: 'yes', d: '42', e: "l'été" },
    });
    expect(out).toContain("  e: l'été\n");
    expect(plainSafe('Bonjour le monde')).toBe(true);
    for (const unsafe of ['a: b', '#x', '*x', '&x', '- x', 'on', 'null', '1e3', ' x', 'a #b', 'end:', ''])
      expect(plainSafe(unsafe)).toBe(false);
    // Flow punctuation ends a plain scalar only inside [a, b] / {k: v}.
    expect(plainSafe('about %{count} hours')).toBe(true);
    expect(plainSafe('about %{count} hours', true)).toBe(false);
    const flow = render('en:\n  days: [Sun, Mon]\n', (text) => (text === 'Sun' ? 'Sun, day' : 'Mon'));
    expect(flow).toBe('en:\n  days: ["Sun, day", Mon]\n');
  });

  it('keeps block scalar styles and their indentation, and single quotes escaped', () => {
    const source =
      "en:\n  help: |\n    Press %{key}\n    to jump.\n\n  story: >-\n    Once upon\n    a time\n  q: 'it''s'\n";
    const parsed = doc(source);
    expect(parsed.segments.map((segment) => segment.text)).toEqual([
      'Press %{key}\nto jump.',
      'Once upon a time',
      "it's",
    ]);
    const out = render(source, (text) =>
      text.replace('Press', 'Appuyez sur').replace('Once', 'Il était').replace("it's", "c'est"),
    );
    expect(out).toBe(
      "en:\n  help: |\n    Appuyez sur %{key}\n    to jump.\n\n  story: >-\n    Il était upon a time\n  q: 'c''est'\n",
    );
    expect(parse(out).en.help).toBe('Appuyez sur %{key}\nto jump.\n');
    // A line break in a folded scalar's translation becomes a blank line, so it survives folding.
    expect(parse(render(source, (text) => (text.startsWith('Once') ? 'one\ntwo' : text))).en.story).toBe('one\ntwo');
  });

  it('shields Rails and i18next interpolations as markup', () => {
    const parsed = doc('en:\n  a: "%{count} of {{total}}, %<n>d %n %u @:common.ok"\n');
    const found = parsed.segments[0]!.text.match(parsed.placeholders!);
    expect(found).toEqual(['%{count}', '{{total}}', '%<n>d', '%n', '%u', '@:common.ok']);
  });

  it('reports a syntax error with its line', () => {
    expect(() => doc('en:\n  a: "open\n  b: x\n')).toThrow(/not valid YAML: line \d+/);
  });

  it('reads a real Rails locale and writes back equal structure', () => {
    const source = readFileSync(join(__dirname, '../../../test/fixtures/translate/rails-i18n-en.yml'), 'utf8');
    const parsed = doc(source);
    const ids = parsed.segments.map((segment) => segment.id);
    expect(ids).toContain('/en/date/day_names/0');
    expect(ids).toContain('/en/datetime/distance_in_words/about_x_hours/other');
    expect(ids).not.toContain('/en/date/order/0'); // :year is a Ruby symbol
    expect(ids).not.toContain('/en/number/currency/format/precision'); // 2
    expect(render(source, (text) => text)).toBe(source);
    const original = parse(source, { version: '1.1' });
    const swapped = parse(
      render(source, (text) => `${text}: ×`),
      { version: '1.1' },
    );
    const walk = (a: unknown, b: unknown): void => {
      if (typeof a === 'string' && a.trim() !== '' && !a.startsWith(':')) expect(b).toBe(`${a}: ×`);
      else if (typeof a === 'object' && a !== null) {
        expect(Object.keys(b as object)).toEqual(Object.keys(a));
        for (const key of Object.keys(a)) walk((a as never)[key], (b as never)[key]);
      } else expect(b).toEqual(a);
    };
    walk(original, swapped);
  });

  it('round-trips generated files byte for byte and keeps structure under any translation', () => {
    const text = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^k_[a-z]{1,6}$/), text, { minKeys: 1, maxKeys: 6 }),
        fc.string({ maxLength: 12 }),
        (entries, suffix) => {
          const source =
            'en:\n' +
            Object.entries(entries)
              .map(([key, value]) => `  ${key}: ${plainSafe(value) ? value : JSON.stringify(value)}\n`)
              .join('');
          expect(render(source, (t) => t)).toBe(source);
          const out = render(source, (t) => t + suffix);
          const expected = Object.fromEntries(
            Object.entries(entries).map(([key, value]) => [
              key,
              value.trim() === '' || /^:[A-Za-z_]\w*[?!]?$/.test(value) ? value : value + suffix,
            ]),
          );
          expect(parse(out, { version: '1.1' })).toEqual({ en: expected });
        },
      ),
      { numRuns: 300 },
    );
  });
});
