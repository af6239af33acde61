// Stream framing for streamGenerateContent, both ways.
// - `?alt=sse`: Server-Sent Events, one `data: {json}` event per chunk, events separated by CRLF CRLF.
// - without alt: one JSON array written incrementally, pretty-printed objects joined by "\n,\r\n".
// When a stream fails after it started, Gemini writes a raw, pretty-printed {"error":{...}} object
// into the 200 body: outside any `data:` line in SSE, as one more array element in the array form.
import { readErrorEnvelope, type ErrorEnvelope, type ErrorStatus } from './error-envelope.js';

export type StreamFrame =
  | { type: 'data'; value: unknown }
  | { type: 'error'; error: ErrorStatus; raw: string }
  | { type: 'invalid'; raw: string };

// ---------- encoding ----------

export function encodeSseEvent(chunk: unknown): string {
  return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
}

/** The raw error object written into a started SSE stream, as Gemini does. */
export function encodeSseError(envelope: ErrorEnvelope): string {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/** Writes Gemini's JSON-array stream: `open`, then `element` per chunk, then `close`. */
export class JsonArrayStreamWriter {
  private count = 0;

  element(value: unknown): string {
    const body = JSON.stringify(value, null, 2);
    return this.count++ === 0 ? `[${body}` : `\n,\r\n${body}`;
  }

  close(): string {
    return this.count === 0 ? '[]' : '\n]';
  }
}

// ---------- decoding ----------

/**
 * Finds where complete top-level JSON objects end in a growing text, string- and escape-aware.
 * Characters outside objects are handed to `onOutside` (array brackets, commas, whitespace).
 */
class ObjectScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private buffer = '';

  push(text: string, onObject: (raw: string) => void, onOutside: (char: string) => void): void {
    const offset = this.buffer.length;
    this.buffer += text;
    for (let i = offset; i < this.buffer.length; i++) {
      const char = this.buffer[i]!;
      if (this.depth === 0) {
        if (char === '{') {
          this.depth = 1;
          this.start = i;
        } else {
          onOutside(char);
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (char === '\\') this.escaped = true;
        else if (char === '"') this.inString = false;
        continue;
      }
      if (char === '"') this.inString = true;
      else if (char === '{' || char === '[') this.depth++;
      else if (char === '}' || char === ']') {
        this.depth--;
        if (this.depth === 0) {
          onObject(this.buffer.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    // Keep only an unfinished object.
    if (this.depth === 0) this.buffer = '';
    else if (this.start > 0) {
      this.buffer = this.buffer.slice(this.start);
      this.start = 0;
    }
  }

  /** Text of an object that never closed. */
  pending(): string {
    return this.depth > 0 ? this.buffer.slice(Math.max(0, this.start)) : '';
  }
}

function frameFromJson(raw: string): StreamFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { type: 'invalid', raw };
  }
  const error = readErrorEnvelope(value);
  return error ? { type: 'error', error, raw } : { type: 'data', value };
}

/** Incremental decoder for the `?alt=sse` form, including raw error objects between events. */
export class SseStreamDecoder {
  private lineBuffer = '';
  private dataLines: string[] = [];
  private raw = new ObjectScanner();
  private rawActive = false;

  push(text: string): StreamFrame[] {
    const frames: StreamFrame[] = [];
    this.lineBuffer += text;
    let newline: number;
    while ((newline = this.lineBuffer.indexOf('\n')) >= 0) {
      const line = this.lineBuffer.slice(0, newline).replace(/\r$/, '');
      this.lineBuffer = this.lineBuffer.slice(newline + 1);
      this.line(line, frames);
    }
    return frames;
  }

  end(): StreamFrame[] {
    const frames: StreamFrame[] = [];
    if (this.lineBuffer) this.line(this.lineBuffer.replace(/\r$/, ''), frames);
    this.lineBuffer = '';
    this.dispatch(frames);
    const pending = this.raw.pending();
    if (pending.trim()) frames.push({ type: 'invalid', raw: pending });
    return frames;
  }

  private line(line: string, frames: StreamFrame[]): void {
    if (this.rawActive || (this.dataLines.length === 0 && line.trimStart().startsWith('{'))) {
      this.rawActive = true;
      this.raw.push(
        `${line}\n`,
        (raw) => {
          frames.push(frameFromJson(raw));
          this.rawActive = false;
        },
        () => undefined,
      );
      return;
    }
    if (line === '') {
      this.dispatch(frames);
      return;
    }
    if (line.startsWith(':')) return; // SSE comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (!['event', 'id', 'retry'].includes(field)) frames.push({ type: 'invalid', raw: line });
  }

  private dispatch(frames: StreamFrame[]): void {
    if (this.dataLines.length === 0) return;
    const data = this.dataLines.join('\n');
    this.dataLines = [];
    if (data.trim() === '[DONE]') return;
    frames.push(frameFromJson(data));
  }
}

/** Incremental decoder for the JSON-array form (with or without Google's "\n,\r\n" joins). */
export class JsonArrayStreamDecoder {
  private scanner = new ObjectScanner();
  private stray = '';

  push(text: string): StreamFrame[] {
    const frames: StreamFrame[] = [];
    this.scanner.push(
      text,
      (raw) => frames.push(frameFromJson(raw)),
      (char) => {
        if (!/[\s,[\]]/.test(char)) this.stray += char;
      },
    );
    return frames;
  }

  end(): StreamFrame[] {
    const frames: StreamFrame[] = [];
    const pending = this.scanner.pending();
    if (pending.trim()) frames.push({ type: 'invalid', raw: pending });
    if (this.stray.trim()) frames.push({ type: 'invalid', raw: this.stray });
    this.stray = '';
    return frames;
  }
}

export type StreamFormat = 'sse' | 'json-array';

export function createStreamDecoder(format: StreamFormat): SseStreamDecoder | JsonArrayStreamDecoder {
  return format === 'sse' ? new SseStreamDecoder() : new JsonArrayStreamDecoder();
}

/** Every complete JSON object that parses in a text, outermost first (for prompts that embed data). */
export function findJsonObjects(text: string, limit = 256): unknown[] {
  const found: unknown[] = [];
  let start = text.indexOf('{');
  while (start >= 0 && found.length < limit) {
    const end = matchingBrace(text, start);
    if (end > start) {
      try {
        found.push(JSON.parse(text.slice(start, end + 1)));
        start = text.indexOf('{', end + 1);
        continue;
      } catch {
        /* not JSON from here: try the next brace */
      }
    }
    start = text.indexOf('{', start + 1);
  }
  return found;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i;
  }
  return -1;
}
