// A translatable document: the segments to translate, and a renderer that puts translations back
// while keeping every other byte of the input as it was.

export interface Segment {
  /** Stable within the document (line number, JSON key or index, row, subtitle number). */
  id: string;
  text: string;
}

export interface ParsedDocument {
  segments: Segment[];
  /** The document with each segment replaced by its translation (missing ids keep the source). */
  render(translations: ReadonlyMap<string, string>): string;
}

export interface FormatOptions {
  column?: string;
  delimiter?: string;
}

export type FormatName = 'text' | 'json' | 'csv' | 'tsv' | 'srt';

export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/** Splits text into parts of alternating [token, replacement] spans for byte-exact re-rendering. */
export interface Span {
  start: number;
  end: number;
  id: string;
}

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
