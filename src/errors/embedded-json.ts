// Finds JSON (or Python-repr) values embedded in free text: log lines, SDK error messages that
// carry the body as a string (sometimes escaped, sometimes wrapped twice), exception reprs.
import { parsePythonLiteral } from './python-literal.js';

const MAX_SCAN_CHARS = 2_000_000;
const MAX_CANDIDATES = 64;

/** Index just past the bracket that closes the one at `start`, or -1. */
function closingIndex(text: string, start: number, quoteAware: boolean): number {
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (quoteAware && (char === '"' || char === "'")) quote = char;
    else if (char === '{' || char === '[') stack.push(char === '{' ? '}' : ']');
    else if (char === '}' || char === ']') {
      if (stack.pop() !== char) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

function unescapeOnce(text: string): string {
  return text.replace(
    /\\(["\\/bfnrt])/g,
    (_, char: string) => (({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }) as Record<string, string>)[char] ?? char,
  );
}

/** Parses one candidate text as JSON, a Python literal, or escaped JSON (up to two levels). */
export function parseLoose(candidate: string): unknown {
  let text = candidate;
  for (let level = 0; level < 3; level++) {
    try {
      return JSON.parse(text);
    } catch {
      /* try the next form */
    }
    const literal = parsePythonLiteral(text);
    if (literal !== undefined) return literal;
    if (!text.includes('\\')) break;
    text = unescapeOnce(text);
  }
  return undefined;
}

/** Every top-level JSON-like value found in a text, outermost first. */
export function findEmbeddedValues(input: string): unknown[] {
  const text = input.length > MAX_SCAN_CHARS ? input.slice(0, MAX_SCAN_CHARS) : input;
  const values: unknown[] = [];
  let tried = 0;
  for (let i = 0; i < text.length && tried < MAX_CANDIDATES; i++) {
    const char = text[i];
    if (char !== '{' && char !== '[') continue;
    // Only brackets that can open a value we care about: an object with a quoted key, or a list of such.
    if (!/^[{[]\s*(?:\\?["'{[]|\]|\})/.test(text.slice(i, i + 8))) continue;
    tried++;
    let end = closingIndex(text, i, true);
    if (end < 0) end = closingIndex(text, i, false);
    if (end < 0) continue;
    const value = parseLoose(text.slice(i, end));
    if (value !== undefined && typeof value === 'object' && value !== null) {
      values.push(value);
      i = end - 1;
    }
  }
  return values;
}
