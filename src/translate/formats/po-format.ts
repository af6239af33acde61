// gettext PO/POT files. Written here rather than with a PO library: the libraries we know rebuild
// the file from a parsed model (re-wrapping strings, reordering comments, normalising the header),
// and a translator's PO must come back with every untouched byte as it was, so diffs stay reviewable.
//
// What gettext users expect (GNU gettext manual, "The Format of PO Files" and "Fuzzy Entries"):
// - the header entry (msgid "") and obsolete entries (#~) are never translated;
// - an entry with a non-empty msgstr that is not fuzzy is a finished translation: left alone;
// - untranslated entries and fuzzy entries (whose msgstr is a guess) are translated from msgid;
// - plural entries fill msgstr[0] from msgid and msgstr[1..n-1] from msgid_plural, n being the
//   header's Plural-Forms nplurals (2 when absent);
// - what a machine filled is marked "#, fuzzy" so it is reviewed before msgfmt uses it (msgfmt skips
//   fuzzy entries unless --use-fuzzy); --po-fuzzy=no writes them unmarked.
import { FormatError, linesOf, newlineOf, type ParsedDocument, type Segment } from './format.js';

/** printf and Python/brace formats, HTML-like tags: they must come back unchanged. */
export const PO_PLACEHOLDERS =
  /%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|j|t)?[diouxXeEfFgGcspa%]|%\([^)\r\n]+\)[diouxXeEfFgGcsr]|\{[^{}\s]*\}|<[^<>\r\n]+>/g;

interface PoLine {
  start: number;
  body: string;
  number: number;
}

interface Entry {
  lines: PoLine[];
  flagsLine?: PoLine;
  msgid?: string;
  msgidPlural?: string;
  /** The msgstr / msgstr[n] lines, continuation lines included. */
  msgstrLines: PoLine[];
  msgstr: string[];
  obsolete: boolean;
  fuzzy: boolean;
  /** Where "#, fuzzy" goes when the entry has no flags line: before msgctxt / msgid. */
  keywordLine?: PoLine;
  /** The msgid was written as "" plus continuation lines (a long or multi-line string). */
  wrapped: boolean;
}

function unquote(text: string, line: PoLine): string {
  const match = /^\s*"(.*)"\s*$/.exec(text);
  if (!match) throw new FormatError(`line ${line.number}: expected a quoted string`);
  return match[1]!.replace(/\\(["\\ntrabfv]|[0-7]{1,3}|x[0-9a-fA-F]{2})/g, (_, code: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (simple[code]) return simple[code];
    if (code.startsWith('x')) return String.fromCharCode(parseInt(code.slice(1), 16));
    if (/^[0-7]/.test(code)) return String.fromCharCode(parseInt(code, 8));
    return code;
  });
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}

/** A msgstr keyword with its value, wrapped after each \n like msgid was. */
function writeString(keyword: string, text: string, wrapped: boolean, newline: string): string {
  if (!wrapped && !text.slice(0, -1).includes('\n')) return `${keyword} ${quote(text)}`;
  const pieces = text.split(/(?<=\n)/).filter((piece) => piece !== '');
  return [`${keyword} ""`, ...pieces.map(quote)].join(newline);
}

function parseEntries(source: string): Entry[] {
  const entries: Entry[] = [];
  let current: Entry | undefined;
  let field: 'msgid' | 'msgid_plural' | 'msgstr' | 'msgctxt' | undefined;
  let plural = 0;
  const fresh = (): Entry => ({
    lines: [],
    msgstrLines: [],
    msgstr: [],
    obsolete: false,
    fuzzy: false,
    wrapped: false,
  });
  for (const line of linesOf(source)) {
    const trimmed = line.body.trim();
    if (trimmed === '') {
      if (current) entries.push(current);
      current = undefined;
      field = undefined;
      continue;
    }
    // A new entry starts at a comment or msgctxt/msgid after a msgstr.
    if (current && field === 'msgstr' && (trimmed.startsWith('#') || /^(msgctxt|msgid)\b/.test(trimmed))) {
      entries.push(current);
      current = undefined;
      field = undefined;
    }
    current ??= fresh();
    current.lines.push(line);
    if (trimmed.startsWith('#~')) {
      current.obsolete = true;
      continue;
    }
    if (trimmed.startsWith('#,')) {
      current.flagsLine = line;
      current.fuzzy = /\bfuzzy\b/.test(trimmed);
      continue;
    }
    if (trimmed.startsWith('#')) continue;
    const keyword = /^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$/.exec(trimmed);
    if (keyword) {
      const name = keyword[1]!;
      const value = unquote(keyword[3]!, line);
      if (name === 'msgctxt' || name === 'msgid') current.keywordLine ??= line;
      if (name === 'msgid') {
        field = 'msgid';
        current.msgid = value;
        current.wrapped = value === '';
      } else if (name === 'msgid_plural') {
        field = 'msgid_plural';
        current.msgidPlural = value;
      } else if (name === 'msgctxt') {
        field = 'msgctxt';
      } else {
        field = 'msgstr';
        plural = keyword[2] !== undefined ? Number(keyword[2]) : 0;
        current.msgstr[plural] = value;
        current.msgstrLines.push(line);
      }
      continue;
    }
    if (trimmed.startsWith('"')) {
      const value = unquote(trimmed, line);
      if (field === 'msgid') current.msgid += value;
      else if (field === 'msgid_plural') current.msgidPlural += value;
      else if (field === 'msgstr') {
        current.msgstr[plural] += value;
        current.msgstrLines.push(line);
      } else if (field !== 'msgctxt') throw new FormatError(`line ${line.number}: a string outside any entry`);
      continue;
    }
    throw new FormatError(`line ${line.number}: not PO syntax: ${JSON.stringify(trimmed.slice(0, 40))}`);
  }
  if (current) entries.push(current);
  return entries;
}

export function parsePo(source: string, options: { fuzzy?: boolean } = {}): ParsedDocument {
  const markFuzzy = options.fuzzy ?? true;
  const newline = newlineOf(source);
  const entries = parseEntries(source);
  const header = entries.find((entry) => entry.msgid === '' && !entry.obsolete);
  const nplurals = Number(/nplurals\s*=\s*(\d+)/.exec(header?.msgstr[0] ?? '')?.[1] ?? 2);
  const segments: Segment[] = [];
  const todo: Array<{ entry: Entry; id: string }> = [];
  for (const entry of entries) {
    if (entry.obsolete || entry.msgid === undefined || entry.msgid === '' || entry.msgstrLines.length === 0) continue;
    const finished = !entry.fuzzy && entry.msgstr.some((text) => text !== '');
    if (finished) continue;
    const id = `E${entry.lines[0]!.number}`;
    todo.push({ entry, id });
    segments.push({ id, text: entry.msgid });
    if (entry.msgidPlural !== undefined) segments.push({ id: `${id}.plural`, text: entry.msgidPlural });
  }
  return {
    segments,
    placeholders: PO_PLACEHOLDERS,
    render: (translations) => {
      // Edits as [start, end, text], applied from the end so offsets stay right.
      const edits: Array<[number, number, string]> = [];
      for (const { entry, id } of todo) {
        const singular = translations.get(id);
        if (singular === undefined) continue;
        const pluralText = entry.msgidPlural !== undefined ? (translations.get(`${id}.plural`) ?? singular) : undefined;
        const first = entry.msgstrLines[0]!;
        const last = entry.msgstrLines[entry.msgstrLines.length - 1]!;
        const indent = /^\s*/.exec(first.body)![0];
        const written =
          pluralText === undefined
            ? indent + writeString('msgstr', singular, entry.wrapped, newline)
            : Array.from(
                { length: nplurals },
                (_, index) =>
                  indent + writeString(`msgstr[${index}]`, index === 0 ? singular : pluralText, entry.wrapped, newline),
              ).join(newline);
        edits.push([first.start, last.start + last.body.length, written]);
        if (markFuzzy && !entry.fuzzy) {
          if (entry.flagsLine) {
            const end = entry.flagsLine.start + entry.flagsLine.body.length;
            edits.push([end, end, ', fuzzy']);
          } else if (entry.keywordLine) {
            edits.push([entry.keywordLine.start, entry.keywordLine.start, `#, fuzzy${newline}`]);
          }
        }
      }
      edits.sort((a, b) => b[0] - a[0]);
      let out = source;
      for (const [start, end, text] of edits) out = out.slice(0, start) + text + out.slice(end);
      return out;
    },
  };
}
