// Plain text: one segment per line. Blank lines, leading and trailing spaces and line endings are
// kept; only the words in between are translated.
import { renderSpans, type ParsedDocument, type Span } from './format.js';

export function parseText(source: string): ParsedDocument {
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  let offset = 0;
  let lineNumber = 0;
  for (const line of source.split('\n')) {
    lineNumber++;
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    const lead = body.length - body.trimStart().length;
    const core = body.trim();
    if (core) {
      const id = `L${lineNumber}`;
      spans.push({ start: offset + lead, end: offset + lead + core.length, id });
      texts.set(id, core);
    }
    offset += line.length + 1;
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    // A translation never brings its own line breaks into a one-line-per-segment file.
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        return value === undefined ? undefined : value.replace(/\r?\n/g, ' ').trim();
      }),
  };
}
