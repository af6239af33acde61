import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, type FormatName } from './index.js';

const upper = (doc: ReturnType<typeof parseDocument>) =>
  doc.render(new Map(doc.segments.map((segment) => [segment.id, segment.text.toUpperCase()])));
const identity = (doc: ReturnType<typeof parseDocument>) =>
  doc.render(new Map(doc.segments.map((segment) => [segment.id, segment.text])));

const SAMPLES: Array<[FormatName, string, string[], string]> = [
  [
    'text',
    '  Hello there  \r\n\r\nSecond line\nthird\n',
    ['Hello there', 'Second line', 'third'],
    '  HELLO THERE  \r\n\r\nSECOND LINE\nTHIRD\n',
  ],
  [
    'json',
    '[\n  "one",\n  "t\\u00e9st \\"q\\"",\n  ""\n]\n',
    ['one', 'tést "q"'],
    // A file that writes non-ASCII as \u escapes keeps that style.
    '[\n  "ONE",\n  "T\\u00c9ST \\"Q\\"",\n  ""\n]\n',
  ],
  ['json', '{"a": "hi", "b":"x\\ny"}', ['hi', 'x\ny'], '{"a": "HI", "b":"X\\nY"}'],
  [
    'csv',
    'id,text,note\r\n1,"Hello, you",keep\r\n2,plain,"x"\r\n',
    ['Hello, you', 'plain'],
    'id,text,note\r\n1,"HELLO, YOU",keep\r\n2,PLAIN,"x"\r\n',
  ],
  // The header row is never translated.
  ['tsv', 'a\tb\nx\tsay "hi"\n', ['say "hi"'], 'a\tb\nx\t"SAY ""HI"""\n'],
  [
    'srt',
    '1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\nthere\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,500\r\nBye\r\n',
    ['Hello\nthere', 'Bye'],
    '1\r\n00:00:01,000 --> 00:00:02,000\r\nHELLO\r\nTHERE\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,500\r\nBYE\r\n',
  ],
];

describe('formats', () => {
  for (const [format, source, texts, translated] of SAMPLES) {
    it(`${format}: finds the segments and keeps every other byte`, () => {
      const doc = parseDocument(source, format);
      expect(doc.segments.map((segment) => segment.text)).toEqual(texts);
      expect(identity(doc)).toBe(source);
      expect(upper(doc)).toBe(translated);
    });
  }

  it('csv by column name or number', () => {
    const source = 'key,en,fr\nk1,Hello,\nk2,World,\n';
    expect(parseDocument(source, 'csv', { column: 'en' }).segments.map((s) => s.text)).toEqual(['Hello', 'World']);
    expect(parseDocument(source, 'csv', { column: '1' }).segments.map((s) => s.text)).toEqual(['k1', 'k2']);
    expect(() => parseDocument(source, 'csv', { column: 'de' })).toThrow(/no column named "de"/);
  });

  it('json that is not flat strings gets a clear error', () => {
    // A nested object of strings is an i18n file and is translated; data beside it is not guessed at.
    expect(() => parseDocument('{"a": {"b": "c"}, "n": 1}', 'json')).toThrow(/not a string/);
    expect(() => parseDocument('{"a": {"b": ["c"]}}', 'json')).toThrow(/not a string/);
    expect(parseDocument('{"a": {"b": "c"}}', 'json').segments).toEqual([{ id: '/a/b', text: 'c' }]);
    expect(() => parseDocument('{oops', 'json')).toThrow(/not valid JSON/);
  });

  it('round-trips arbitrary text byte for byte', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (source) => {
        expect(identity(parseDocument(source, 'text'))).toBe(source);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }), (strings) => {
        const source = JSON.stringify(strings, null, 2);
        expect(identity(parseDocument(source, 'json'))).toBe(source);
        const upperDoc = parseDocument(source, 'json');
        expect(JSON.parse(upper(upperDoc))).toEqual(strings.map((s) => (s.trim() ? s.toUpperCase() : s)));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 2 }), {
          minLength: 1,
          maxLength: 10,
        }),
        (rows) => {
          const source =
            rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).join('\n') + '\n';
          expect(identity(parseDocument(source, 'csv', { column: '2' }))).toBe(source);
        },
      ),
      { numRuns: 200 },
    );
  });
});
