// JSON: an array of strings, or an object of id → string. Only the string values change; their
// positions are found by a scanner so every other byte (spacing, escapes, key order) stays.
import { FormatError, renderSpans, type ParsedDocument, type Span } from './format.js';

function skipSpace(text: string, index: number): number {
  while (index < text.length && /\s/.test(text[index]!)) index++;
  return index;
}

/** The end (exclusive) of the JSON string literal starting at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === '"') return index + 1;
  }
  throw new FormatError('unterminated string in JSON');
}

export function parseJson(source: string): ParsedDocument {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new FormatError(`not valid JSON: ${(error as Error).message}`);
  }
  const isArray = Array.isArray(value);
  if (!isArray && (typeof value !== 'object' || value === null))
    throw new FormatError('JSON input must be an array of strings or an object of id → string');
  const entries = isArray
    ? (value as unknown[]).map((item, index) => [String(index), item] as const)
    : Object.entries(value as Record<string, unknown>);
  for (const [id, item] of entries) {
    if (typeof item !== 'string')
      throw new FormatError(
        `JSON value ${isArray ? `[${id}]` : JSON.stringify(id)} is not a string: only flat arrays of strings or objects of id → string are translated`,
      );
  }
  // Locate each value's literal.
  const spans: Span[] = [];
  let index = skipSpace(source.replace(/^\uFEFF/, ' '), 0) + 1;
  let position = 0;
  const seen = new Set<string>();
  for (;;) {
    index = skipSpace(source, index);
    if (source[index] === ']' || source[index] === '}') break;
    let id: string;
    if (isArray) {
      id = String(position++);
    } else {
      const keyEnd = stringEnd(source, index);
      id = JSON.parse(source.slice(index, keyEnd)) as string;
      index = skipSpace(source, keyEnd) + 1; // past ':'
      index = skipSpace(source, index);
    }
    const end = stringEnd(source, index);
    // A duplicate key: JSON.parse keeps the last; so do we.
    if (seen.has(id))
      spans.splice(
        spans.findIndex((span) => span.id === id),
        1,
      );
    seen.add(id);
    spans.push({ start: index, end, id });
    index = skipSpace(source, end);
    if (source[index] === ',') index++;
  }
  const texts = new Map(entries.map(([id, item]) => [id, item as string]));
  return {
    segments: spans
      .filter((span) => texts.get(span.id)!.trim() !== '')
      .map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        return JSON.stringify(value);
      }),
  };
}
