// Where each string value of a JSON text sits, by JSON pointer (RFC 6901). JSON.parse gives the
// values but not their positions; a translation replaces only the literal of a chosen string, so
// spacing, escapes, key order and every untouched string stay byte for byte.
import { FormatError } from './format.js';

/** A string value's literal [start, end) in the source, quotes included, and its parsed value. */
export interface JsonStringSite {
  pointer: string;
  start: number;
  end: number;
  value: string;
}

const MAX_DEPTH = 512;

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses `source` (throws FormatError when it is not JSON) and lists every string value's site. */
export function scanJson(source: string): { value: unknown; sites: Map<string, JsonStringSite> } {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new FormatError(`not valid JSON: ${(error as Error).message}`);
  }
  const sites = new Map<string, JsonStringSite>();
  let index = 0;
  const space = () => {
    while (index < source.length && ' \t\r\n\uFEFF'.includes(source[index]!)) index++;
  };
  const stringLiteral = (): [number, number] => {
    const start = index;
    index++;
    while (source[index] !== '"') index += source[index] === '\\' ? 2 : 1;
    index++;
    return [start, index];
  };
  const walk = (pointer: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new FormatError(`JSON nested deeper than ${MAX_DEPTH} levels`);
    space();
    const char = source[index];
    if (char === '"') {
      const [start, end] = stringLiteral();
      sites.set(pointer, { pointer, start, end, value: JSON.parse(source.slice(start, end)) as string });
    } else if (char === '{') {
      index++;
      space();
      if (source[index] === '}') {
        index++;
        return;
      }
      for (;;) {
        space();
        const [start, end] = stringLiteral();
        const key = JSON.parse(source.slice(start, end)) as string;
        space();
        index++; // ':'
        walk(`${pointer}/${escapePointer(key)}`, depth + 1);
        space();
        if (source[index++] === '}') return;
      }
    } else if (char === '[') {
      index++;
      space();
      if (source[index] === ']') {
        index++;
        return;
      }
      for (let position = 0; ; position++) {
        walk(`${pointer}/${position}`, depth + 1);
        space();
        if (source[index++] === ']') return;
      }
    } else {
      while (index < source.length && !',]} \t\r\n'.includes(source[index]!)) index++;
    }
  };
  walk('', 0);
  return { value, sites };
}

/** A JSON string literal for a translation, written as the file writes its strings (non-ASCII as is). */
export function jsonLiteral(text: string, original: string): string {
  const literal = JSON.stringify(text);
  // Files written with \u escapes for non-ASCII (Python's ensure_ascii) keep that style.
  if (/\\u[0-9a-fA-F]{4}/.test(original) && !/[^\x00-\x7f]/.test(original))
    return literal.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return literal;
}
