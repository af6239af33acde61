// A translatable document: the segments to translate, and a renderer that puts translations back
// while keeping every other byte of the input as it was.

export interface Segment {
  /** Stable within the document (line number, JSON pointer, row, cue number, PO entry line). */
  id: string;
  text: string;
}

export interface ParsedDocument {
  segments: Segment[];
  /** The document with each segment replaced by its translation (missing ids keep the source). */
  render(translations: ReadonlyMap<string, string>): string;
  /**
   * Markup and variables of this format inside a segment (global regex): shielded before sending
   * and checked in the reply, so the model can neither lose nor mangle them.
   */
  placeholders?: RegExp;
}

export interface FormatOptions {
  /** CSV/TSV: the source column, by header name or 1-based number. */
  column?: string;
  /** CSV/TSV: the target column, by header name (created when missing) or 1-based number. */
  toColumn?: string;
  delimiter?: string;
  /** JSON: JSONPath expressions choosing the strings to translate. */
  jsonPath?: string[];
  /** PO: mark the entries gemwarden filled as fuzzy (default true: machine translations need review). */
  poFuzzy?: boolean;
}

/** Every format `--format` accepts, lower case. */
export const FORMAT_NAMES = [
  'text',
  'json',
  'galtransl',
  'rpgmaker',
  'csv',
  'tsv',
  'srt',
  'vtt',
  'ass',
  'po',
  'renpy',
  'kirikiri',
  'xunity',
  'yaml',
] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

/** The input cannot be read in the chosen format: the message says where and what to do. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/** A stretch [start, end) of the source (string offsets) replaced by one segment's translation. */
export interface Span {
  start: number;
  end: number;
  id: string;
}

/** The source with each span replaced by `replacement(span)`; undefined keeps the span's bytes. */
export function renderSpans(
  source: string,
  spans: readonly Span[],
  replacement: (span: Span) => string | undefined,
): string {
  let out = '';
  let cursor = 0;
  for (const span of spans) {
    const value = replacement(span);
    if (value === undefined) continue;
    out += source.slice(cursor, span.start) + value;
    cursor = span.end;
  }
  return out + source.slice(cursor);
}

/** One line of a source: its offset, its text without the line ending, its 1-based number. */
export interface Line {
  start: number;
  body: string;
  number: number;
}

/** Lines of a source with their offsets; `body` excludes the line ending ("\n" or "\r\n"). */
export function linesOf(source: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  let number = 1;
  while (start <= source.length) {
    const newline = source.indexOf('\n', start);
    const end = newline === -1 ? source.length : newline;
    const body = source.slice(start, end).replace(/\r$/, '');
    lines.push({ start, body, number });
    if (newline === -1) break;
    start = newline + 1;
    number++;
  }
  return lines;
}

/** The line ending a file mostly uses, for text the translation brings in. */
export function newlineOf(source: string): string {
  return source.includes('\r\n') ? '\r\n' : '\n';
}
