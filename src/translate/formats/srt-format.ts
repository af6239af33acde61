// SubRip (.srt) and WebVTT (.vtt): each cue's text (all its lines) is one segment; numbers, cue
// identifiers, timings, cue settings, blank lines and (in WebVTT) the header, NOTE, STYLE and REGION
// blocks stay. Only blocks with a timing line are cues, so NOTE/STYLE/REGION are never sent.
// Facts: WebVTT (W3C) cue timings "mm:ss.ttt" or "hh:mm:ss.ttt"; SubRip "hh:mm:ss,ttt".
import { linesOf, newlineOf, renderSpans, type ParsedDocument, type Span } from './format.js';

// Milliseconds are optional: files written by hand or by old tools have "00:00:01 --> 00:00:10",
// which players accept; without them every cue was skipped and the file reported done.
const SRT_TIMING = /^\s*\d{1,2}:\d{2}:\d{2}(?:[,.]\d{1,3})?\s*-->\s*\d{1,2}:\d{2}:\d{2}(?:[,.]\d{1,3})?/;
const VTT_TIMING = /^\s*(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}/;

/** Inline markup of subtitles: HTML-like tags (<i>, <font …>, WebVTT <c.x>, <v Name>, <00:01.000>), ASS-style {\an8}, entities. */
export const SUBTITLE_MARKUP = /<[^<>\r\n]*>|\{\\[^{}\r\n]*\}|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);/g;

function parseCues(source: string, timing: RegExp): ParsedDocument {
  const newline = newlineOf(source);
  const lines = linesOf(source);
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  let cue = 0;
  for (let index = 0; index < lines.length; index++) {
    if (!timing.test(lines[index]!.body)) continue;
    cue++;
    let last = index;
    while (last + 1 < lines.length && lines[last + 1]!.body.trim() !== '') last++;
    if (last > index) {
      const first = lines[index + 1]!;
      const end = lines[last]!.start + lines[last]!.body.length;
      const id = `C${cue}`;
      spans.push({ start: first.start, end, id });
      texts.set(
        id,
        lines
          .slice(index + 1, last + 1)
          .map((line) => line.body)
          .join('\n'),
      );
    }
    index = last;
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        // A blank line would end the cue early: collapse blank lines inside a translation.
        return value
          .split(/\r?\n/)
          .filter((line) => line.trim() !== '')
          .join(newline);
      }),
    placeholders: SUBTITLE_MARKUP,
  };
}

export function parseSrt(source: string): ParsedDocument {
  return parseCues(source, SRT_TIMING);
}

export function parseVtt(source: string): ParsedDocument {
  return parseCues(source, VTT_TIMING);
}
