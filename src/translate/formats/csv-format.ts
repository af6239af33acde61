// CSV and TSV: one column is translated (by header name or 1-based number; by default a column named
// text, source or original, else the last). Quoting follows RFC 4180; every other byte stays.
import { FormatError, renderSpans, type ParsedDocument, type Span } from './format.js';

interface Field {
  start: number;
  end: number;
  value: string;
  quoted: boolean;
}

function parseRows(source: string, delimiter: string): Field[][] {
  const rows: Field[][] = [];
  let row: Field[] = [];
  let index = 0;
  while (index <= source.length) {
    if (index === source.length) {
      if (row.length > 0) rows.push(row);
      break;
    }
    const start = index;
    let value = '';
    let quoted = false;
    if (source[index] === '"') {
      quoted = true;
      index++;
      for (;;) {
        if (index >= source.length) throw new FormatError(`unterminated quoted field at byte ${start}`);
        if (source[index] === '"') {
          if (source[index + 1] === '"') {
            value += '"';
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += source[index++];
      }
    } else {
      while (index < source.length && source[index] !== delimiter && source[index] !== '\n' && source[index] !== '\r')
        value += source[index++];
    }
    row.push({ start, end: index, value, quoted });
    if (source[index] === delimiter) {
      index++;
      continue;
    }
    rows.push(row);
    row = [];
    if (source[index] === '\r') index++;
    if (source[index] === '\n') index++;
    if (index === source.length) break;
  }
  return rows;
}

function quote(value: string, delimiter: string, wasQuoted: boolean): string {
  if (!wasQuoted && !value.includes(delimiter) && !/["\r\n]/.test(value)) return value;
  return `"${value.replace(/"/g, '""')}"`;
}

/** A column by header name (case-insensitive) or 1-based number; -1 when a name is not in the header. */
function columnIndex(header: Field[], column: string, option: string): number {
  if (/^\d+$/.test(column)) {
    const index = Number(column) - 1;
    if (index < 0) throw new FormatError(`${option} counts from 1`);
    return index;
  }
  return header.findIndex((field) => field.value.trim().toLowerCase() === column.trim().toLowerCase());
}

/**
 * The first row is the header and is never translated. The source column is `column` (name or
 * number), else one named text/source/original, else the last. With `toColumn` the translation goes
 * to that column (created at the end of every row when the header lacks it, as Godot's locale CSV
 * `keys,en,de` wants); without it the source cell is replaced.
 */
export function parseDelimited(source: string, delimiter: string, column?: string, toColumn?: string): ParsedDocument {
  const rows = parseRows(source, delimiter);
  if (rows.length === 0) return { segments: [], render: () => source };
  const header = rows[0]!;
  const names = header.map((field) => field.value).join(', ');
  let from: number;
  if (column !== undefined) {
    from = columnIndex(header, column, '--column');
    if (from < 0) throw new FormatError(`no column named "${column}" in the header (${names})`);
  } else {
    from = header.findIndex((field) => ['text', 'source', 'original'].includes(field.value.trim().toLowerCase()));
    if (from < 0) from = header.length - 1;
  }
  let to: number | undefined;
  if (toColumn !== undefined) {
    to = columnIndex(header, toColumn, '--to-column');
    if (to < 0) {
      if (/^\d+$/.test(toColumn)) throw new FormatError(`--to-column ${toColumn} is beyond the header (${names})`);
      to = header.length;
    }
    if (to === from)
      throw new FormatError('--to-column is the source column: name another one, or leave it out to replace the text');
  }
  const spans: Span[] = [];
  const texts = new Map<string, { value: string; quoted: boolean }>();
  /** Rows too short to have the target column: cells are appended at the row's end. */
  const appendAt = new Map<string, { at: number; missing: number }>();
  rows.forEach((row, rowIndex) => {
    const id = rowIndex === 0 ? '#header' : `R${rowIndex + 1}`;
    const blank = row.length === 1 && row[0]!.value === '' && !row[0]!.quoted;
    if (to !== undefined && row.length <= to && !blank) {
      const end = row[row.length - 1]!.end;
      appendAt.set(id, { at: end, missing: to - row.length + 1 });
      spans.push({ start: end, end, id });
    }
    if (rowIndex === 0) return;
    const field = row[from];
    if (!field || field.value.trim() === '') return;
    const target = to === undefined ? field : row[to];
    if (target && to !== undefined && target.value.trim() !== '') return; // translated already
    if (target) spans.push({ start: target.start, end: target.end, id });
    texts.set(id, { value: field.value, quoted: target ? target.quoted : false });
  });
  spans.sort((a, b) => a.start - b.start);
  return {
    segments: [...texts].map(([id, text]) => ({ id, text: text.value })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const appended = appendAt.get(span.id);
        if (appended) {
          const cell = span.id === '#header' ? toColumn! : (translations.get(span.id) ?? '');
          return delimiter.repeat(appended.missing) + (cell === '' ? '' : quote(cell, delimiter, false));
        }
        const value = translations.get(span.id);
        const original = texts.get(span.id)!;
        if (value === undefined || (to === undefined && value === original.value)) return undefined;
        return quote(value, delimiter, original.quoted);
      }),
  };
}
