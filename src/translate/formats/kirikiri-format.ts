// KiriKiri (KAG) and TyranoScript scenario files (.ks): only the text lines are translated. Lines
// that are labels (*start), comments (;…), commands (@bg storage=…), speaker lines (#Name), tag-only
// lines ([cm], [bg storage=…]) and everything between [iscript]/[endscript], [html]/[endhtml] and
// [macro]/[endmacro] stay. Inline tags inside text ([r], [l], [p], [ruby text=…], [emb exp=…]) are
// shielded. Facts: the KAG3 and TyranoScript tag references (line kinds by their first character).
import { linesOf, renderSpans, type ParsedDocument, type Span } from './format.js';

export const KAG_TAGS = /\[[^\[\]\r\n]*\]|&[A-Za-z_][\w.]*;?/g;

const BLOCKS: Array<[RegExp, RegExp]> = [
  [/\[\s*iscript\b|^@iscript\b/i, /\[\s*endscript\b|^@endscript\b/i],
  [/\[\s*html\b|^@html\b/i, /\[\s*endhtml\b|^@endhtml\b/i],
  [/\[\s*macro\b|^@macro\b/i, /\[\s*endmacro\b|^@endmacro\b/i],
];

export function parseKiriKiri(source: string): ParsedDocument {
  const spans: Span[] = [];
  const texts = new Map<string, string>();
  let inside: RegExp | undefined;
  for (const line of linesOf(source)) {
    const trimmed = line.body.trim();
    if (inside) {
      if (inside.test(trimmed)) inside = undefined;
      continue;
    }
    const opening = BLOCKS.find(([open]) => open.test(trimmed));
    if (opening) {
      if (!opening[1].test(trimmed)) inside = opening[1];
      continue;
    }
    if (trimmed === '' || /^[*;@#]/.test(trimmed)) continue;
    if (trimmed.replace(KAG_TAGS, '').trim() === '') continue; // tags only
    const lead = line.body.length - line.body.trimStart().length;
    const id = `L${line.number}`;
    spans.push({ start: line.start + lead, end: line.start + lead + trimmed.length, id });
    texts.set(id, trimmed);
  }
  return {
    segments: spans.map((span) => ({ id: span.id, text: texts.get(span.id)! })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        if (value === undefined || value === texts.get(span.id)) return undefined;
        return value.replace(/\r?\n/g, ''); // a line break would start a new KAG line
      }),
    placeholders: KAG_TAGS,
  };
}
