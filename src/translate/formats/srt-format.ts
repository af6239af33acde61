// SubRip (.srt): each cue's text (all its lines) is one segment; numbers, timings and blank lines stay.
import { renderSpans, type ParsedDocument, type Span } from './format.js';

const TIMING = /^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}/;

export function parseSrt(source: string): ParsedDocument {
  const newline = source.includes('\r\n') ? '\r\n' : '\n';
  const lines = source.split('\n');
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  let offset = 0;
  let cue = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (TIMING.test(line)) {
      cue++;
      let textStart = offset + line.length + 1;
      let cursor = index + 1;
      let textEnd = textStart;
      const parts: string[] = [];
      let scanOffset = textStart;
      while (cursor < lines.length && lines[cursor]!.replace(/\r$/, '').trim() !== '') {
        const content = lines[cursor]!.replace(/\r$/, '');
        parts.push(content);
        textEnd = scanOffset + content.length;
        scanOffset += lines[cursor]!.length + 1;
        cursor++;
      }
      if (parts.length > 0) {
        const id = `C${cue}`;
        spans.push({ start: textStart, end: textEnd, id });
        texts.set(id, parts.join('\n'));
      } else {
        textStart = textEnd;
      }
      for (let skip = index + 1; skip < cursor; skip++) offset += lines[skip]!.length + 1;
      offset += line.length + 1;
      index = cursor - 1;
      continue;
    }
    offset += line.length + 1;
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        return value.replace(/\r?\n/g, newline);
      }),
  };
}
