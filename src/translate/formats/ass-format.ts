// Advanced SubStation Alpha (.ass) and SubStation Alpha (.ssa): only the Text field of "Dialogue:"
// lines is translated; "Comment:" lines, styles, script info and fonts stay. Override blocks
// ({\i1}, {\k20}, {\pos(…)}), \N, \n and \h are shielded. The Text field is the last of the
// [Events] "Format:" fields (10 by default), so commas inside the text are kept as text.
// Facts: the ASS v4.00+ specification's [Events] section.
import { FormatError, linesOf, renderSpans, type ParsedDocument, type Span } from './format.js';

/** Override blocks, \N \n \h, and vector drawings: after {\p1} the text is drawing commands until {\p0}. */
export const ASS_MARKUP = /\{[^{}\r\n]*\\p[1-9][^{}\r\n]*\}[^{\r\n]*|\{[^{}\r\n]*\}|\\[Nnh]/g;

export function parseAss(source: string): ParsedDocument {
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  let section = '';
  let fieldCount = 10;
  for (const line of linesOf(source)) {
    const body = line.body.replace(/^\uFEFF/, '');
    const trimmed = body.trim();
    if (/^\[.*\]$/.test(trimmed)) {
      section = trimmed.toLowerCase();
      continue;
    }
    if (section !== '[events]') continue;
    const format = /^Format\s*:(.*)$/i.exec(trimmed);
    if (format) {
      fieldCount = format[1]!.split(',').length;
      continue;
    }
    const dialogue = /^Dialogue\s*:/i.exec(body);
    if (!dialogue) continue;
    let at = dialogue[0].length;
    for (let field = 1; field < fieldCount; field++) {
      const comma = body.indexOf(',', at);
      if (comma === -1)
        throw new FormatError(`line ${line.number}: a Dialogue line with fewer than ${fieldCount} fields`);
      at = comma + 1;
    }
    const text = body.slice(at);
    if (text.replace(ASS_MARKUP, '').trim() === '') continue;
    const id = `L${line.number}`;
    const offset = line.body.length - body.length; // a BOM on the first line
    spans.push({ start: line.start + offset + at, end: line.start + line.body.length, id });
    texts.set(id, text);
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        return value.replace(/\r?\n/g, '\\N'); // a real line break would end the Dialogue line
      }),
    placeholders: ASS_MARKUP,
  };
}
