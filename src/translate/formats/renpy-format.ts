// Ren'Py translation files (game/tl/<language>/*.rpy), as the launcher's "Generate Translations"
// writes them (Ren'Py documentation, "Translation"):
//
//   translate french start_a170b500:
//       # e "Hello, [player]!"
//       e "Hello, [player]!"          ← this literal gets the translation of the commented one
//
//   translate french strings:
//       old "Start"
//       new "Start"                   ← this literal gets the translation of `old`
//
// A line whose literal is empty or still equals its original is translated; one that differs has been
// translated already and is left alone. Character names (the `e`, or a quoted "Eileen" before the
// text), voice/other statements, and everything outside the literal stay. Interpolations [name],
// text tags {b}…{/b}, {w}, {p}, escapes (\n, \", %%) are shielded.
import { FormatError, linesOf, type Line, renderSpans, type ParsedDocument, type Span } from './format.js';

export const RENPY_MARKUP = /\[\[|\{\{|\[[^\[\]\r\n]*\]|\{[^{}\r\n]*\}|\\.|%%|%\([^)\r\n]+\)[a-z]|%[sd]/g;

/** Statements in a dialogue block that are not dialogue: their strings are file names, not text. */
const NOT_DIALOGUE = new Set([
  'voice',
  'play',
  'queue',
  'stop',
  'show',
  'scene',
  'hide',
  'with',
  'window',
  'pause',
  'nvl',
  'define',
  'default',
  'image',
  'call',
  'jump',
  'return',
  'pass',
  '$',
]);

/** The literals of a line: [start, end) of each string's content (without quotes), relative to the line. */
function literals(body: string): Array<{ start: number; end: number }> {
  const found: Array<{ start: number; end: number }> = [];
  for (let index = 0; index < body.length; index++) {
    const char = body[index];
    if (char === '#') break;
    if (char !== '"' && char !== "'") continue;
    const triple = body.startsWith(char.repeat(3), index);
    const quote = triple ? char.repeat(3) : char;
    const start = index + quote.length;
    let end = start;
    while (end < body.length && !body.startsWith(quote, end)) end += body[end] === '\\' ? 2 : 1;
    if (end >= body.length) return found; // unterminated: a multi-line string we do not touch
    found.push({ start, end });
    index = end + quote.length - 1;
  }
  return found;
}

/** The dialogue text literal of a say statement (`who "what"`, `"who" "what"`, `"what"`). */
function sayText(body: string): { start: number; end: number } | undefined {
  const code = body.trimStart();
  const first = /^[A-Za-z_$][\w.]*/.exec(code)?.[0];
  if (first && NOT_DIALOGUE.has(first)) return undefined;
  if (code.startsWith('$')) return undefined;
  const strings = literals(body);
  if (strings.length === 0) return undefined;
  // `"Eileen" "Hello"`: the first literal is the speaker's name.
  if (code.startsWith('"') || code.startsWith("'")) return strings.length >= 2 ? strings[1] : strings[0];
  return strings[0];
}

export function isRenpyTranslation(source: string): boolean {
  return /^translate\s+\w+\s+\w+\s*:/m.test(source);
}

export function parseRenpy(source: string): ParsedDocument {
  if (!isRenpyTranslation(source))
    throw new FormatError(
      'not a Ren\'Py translation file (no "translate <language> <id>:" block): generate one with the Ren\'Py launcher ("Generate Translations") and translate the files under game/tl/<language>/',
    );
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  const lines = linesOf(source);
  let block: 'dialogue' | 'strings' | undefined;
  let originals: string[] = [];
  let old: string | undefined;
  const add = (line: Line, site: { start: number; end: number }, text: string) => {
    const current = line.body.slice(site.start, site.end);
    if (current !== '' && current !== text) return; // translated already
    if (text.replace(RENPY_MARKUP, '').trim() === '') return;
    const id = `L${line.number}`;
    spans.push({ start: line.start + site.start, end: line.start + site.end, id });
    texts.set(id, text);
  };
  for (const line of lines) {
    const trimmed = line.body.trim();
    const header = /^translate\s+\w+\s+(\w+)\s*:/.exec(line.body);
    if (header) {
      block = header[1] === 'strings' ? 'strings' : 'dialogue';
      originals = [];
      old = undefined;
      continue;
    }
    if (/^\S/.test(line.body) && trimmed !== '') {
      block = undefined; // another top-level statement (e.g. a python block)
      continue;
    }
    if (!block || trimmed === '') continue;
    if (block === 'dialogue') {
      if (trimmed.startsWith('#')) {
        // "# game/script.rpy:12" is a location; "# e "Hi"" is the original statement.
        const commented = trimmed.replace(/^#\s?/, '');
        if (!/^game\/|^renpy\/|^[\w/.-]+\.rpym?:\d+/.test(commented)) {
          const site = sayText(commented);
          originals.push(site ? commented.slice(site.start, site.end) : '\u0000');
        }
        continue;
      }
      const original = originals.shift();
      const site = sayText(line.body);
      if (site && original !== undefined && original !== '\u0000') add(line, site, original);
    } else {
      const oldMatch = /^\s*old\s+/.exec(line.body);
      const newMatch = /^\s*new\s+/.exec(line.body);
      if (oldMatch) {
        const site = literals(line.body)[0];
        old = site ? line.body.slice(site.start, site.end) : undefined;
      } else if (newMatch && old !== undefined) {
        const site = literals(line.body)[0];
        if (site) add(line, site, old);
        old = undefined;
      }
    }
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        // A quote the model wrote must not end the literal; shielded escapes came back as they were.
        return value.replace(/\r?\n/g, '\\n').replace(/(?<!\\)"/g, '\\"');
      }),
    placeholders: RENPY_MARKUP,
  };
}
