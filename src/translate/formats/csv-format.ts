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

export function parseDelimited(source: string, delimiter: string, column?: string): ParsedDocument {
  const rows = parseRows(source, delimiter);
  if (rows.length === 0) return { segments: [], render: () => source };
  const header = rows[0]!.map((field) => field.value.trim().toLowerCase());
  let columnIndex: number;
  let hasHeader = false;
  if (column !== undefined && /^\d+$/.test(column)) {
    columnIndex = Number(column) - 1;
    if (columnIndex < 0) throw new FormatError('--column counts from 1');
  } else if (column !== undefined) {
    columnIndex = header.indexOf(column.trim().toLowerCase());
    if (columnIndex < 0)
      throw new FormatError(
        `no column named "${column}" in the header (${rows[0]!.map((field) => field.value).join(', ')})`,
      );
    hasHeader = true;
  } else {
    columnIndex = header.findIndex((name) => ['text', 'source', 'original'].includes(name));
    hasHeader = columnIndex >= 0;
    if (columnIndex < 0) columnIndex = rows[0]!.length - 1;
  }
  const spans: Span[] = [];
  const texts = new Map<string, { value: string; quoted: boolean }>();
  rows.forEach((row, rowIndex) => {
    if (hasHeader && rowIndex === 0) return;
    const field = row[columnIndex];
    if (!field || field.value.trim() === '') return;
    const id = `R${rowIndex + 1}`;
    spans.push({ start: field.start, end: field.end, id });
    texts.set(id, { value: field.value, quoted: field.quoted });
  });
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)!.value })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        const original = texts.get(span.id)!;
        if (value === undefined || value === original.value) return undefined;
        return quote(value, delimiter, original.quoted);
      }),
  };
}
