// YAML i18n files (Rails `config/locales/en.yml`, many Unity/Godot/RPG and web-game locales):
//
//   en:
//     menu:
//       start: "Start game"        ← every string value is a segment
//       help: |                    ← block scalars keep their style and indentation
//         Press %{key} to jump.
//
// The `yaml` library parses the file (YAML 1.1, as Ruby's Psych reads Rails locales: `yes`/`no`/`on`/
// `off` are booleans there, so they are not text); each string scalar's source range is then replaced
// by its translation written in the scalar's own style. Nothing is re-serialised: keys, comments, key
// order, indentation, anchors, numbers/booleans/null, line ends (CRLF) and a BOM stay byte for byte.
// An alias (`*name`) is not a segment of its own: it shares its anchor's translation. Ruby symbols
// (`- :year` in Rails' date order) are code, not text, and are left alone. Plural keys (`one:`,
// `other:`) are keys, so they are kept; interpolations (`%{count}`, `%<n>d`, `{{name}}`, `%n`/`%u` of
// Rails number formats, vue-i18n's `@:key`) are shielded.
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, visit, type Scalar } from 'yaml';
import { FormatError, newlineOf, renderSpans, type ParsedDocument, type Span } from './format.js';

/**
 * Markup of YAML i18n strings: Rails/Ruby `%{name}` and `%<name>d`, i18next/Unity `{{name}}`, Rails
 * number-format directives (`%n`, `%u`), vue-i18n linked messages (`@:key`, `@.lower:key`).
 */
export const YAML_MARKUP =
  /%\{[^{}\r\n]*\}|%<\w+>[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]|\{\{[^{}\r\n]*\}\}|%[nu](?![A-Za-z])|@(?:\.\w+)?:[\w.]+|@:\{'[^']*'\}/g;

/** A string scalar to translate: where its source text lies and how it is written. */
interface Site {
  id: string;
  start: number;
  end: number;
  type: Scalar.Type;
  /** Inside a flow collection (`[a, b]`, `{k: v}`), where `,[]{}` end a plain scalar. */
  inFlow: boolean;
  /** The text sent for translation (block scalars: without their final line breaks). */
  text: string;
}

/** Plain scalars that YAML 1.1 or 1.2 would read as something other than this string. */
function readsAsString(value: string): boolean {
  for (const version of ['1.1', '1.2'] as const) {
    const [doc] = parseAllDocuments(`k: ${value}\n`, { version });
    if (!doc || doc.errors.length > 0) return false;
    const node = (doc.contents as { items?: Array<{ value?: unknown }> } | null)?.items?.[0]?.value;
    if (!isScalar(node) || node.value !== value) return false;
  }
  return true;
}

/**
 * True when `value` can be written as a plain scalar: one line, no surrounding spaces, no indicator
 * at the start, no `: ` / ` #` inside (nor `,[]{}` inside a flow collection, `inFlow`), and not a
 * number, boolean or null in YAML 1.1 or 1.2.
 */
export function plainSafe(value: string, inFlow = false): boolean {
  if (value === '' || value !== value.trim()) return false;
  if (/[\r\n\t\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(value)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(value)) return false;
  if (/: |:$| #/.test(value) || (inFlow && /[,[\]{}]/.test(value))) return false;
  return readsAsString(value);
}

/** A double-quoted YAML scalar: JSON's escapes are all valid YAML escapes. */
function doubleQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u0085\u2028\u2029\ufeff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A block scalar's translation: header kept, each line at the body's indentation. */
function blockBody(value: string, site: Site, source: string, newline: string): string | undefined {
  const original = source.slice(site.start, site.end);
  const header = /^[|>][-+]?[1-9]?[-+]?[ \t]*(?:#[^\r\n]*)?/.exec(original)?.[0] ?? '';
  // An explicit indentation indicator or a translation starting with a space would need a new
  // indicator: the caller writes such a value double-quoted instead.
  if (/\d/.test(header) || /^[ \t]/.test(value) || /[\u0000-\u0008\u000b-\u001f]/.test(value)) return undefined;
  const indent = /\r?\n([ ]+)\S/.exec(original)?.[1];
  if (indent === undefined) return undefined;
  const lines = value.split('\n');
  // A folded scalar joins lines with a space; a line break in the text is a blank line there.
  const joined = (site.type === 'BLOCK_FOLDED' ? lines.join('\n\n') : lines.join('\n')).split('\n');
  return header + newline + joined.map((line) => (line === '' ? '' : indent + line)).join(newline);
}

/** The scalar's translation written in its own style where the text allows, else double-quoted. */
function writeScalar(value: string, site: Site, source: string, newline: string): string {
  switch (site.type) {
    case 'PLAIN':
      return plainSafe(value, site.inFlow) ? value : doubleQuoted(value);
    case 'QUOTE_SINGLE':
      // Single quotes escape only themselves; a line break would need folding, so it goes double.
      return /[\r\n\u0000-\u001f]/.test(value) ? doubleQuoted(value) : `'${value.replace(/'/g, "''")}'`;
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return blockBody(value, site, source, newline) ?? doubleQuoted(value);
    default:
      return doubleQuoted(value);
  }
}

/** The end of a block scalar's last content line (its trailing line breaks and blank lines stay). */
function blockContentEnd(source: string, start: number, end: number): number {
  let cut = end;
  while (cut > start && /[\r\n \t]/.test(source[cut - 1]!)) cut--;
  return cut;
}

const STRING_TAGS = new Set([undefined, '!!str', 'tag:yaml.org,2002:str']);

/**
 * A YAML file's string values as segments, ids being their key paths (`/en/menu/start`, `/en/days/0`;
 * `#2/…` for the second document of a multi-document file). Throws FormatError with the line and
 * column of the first YAML syntax error.
 */
export function parseYaml(source: string): ParsedDocument {
  const documents = parseAllDocuments(source, { version: '1.1', uniqueKeys: false });
  const sites: Site[] = [];
  const seen = new Set<string>();
  documents.forEach((doc, index) => {
    const error = doc.errors[0];
    if (error) {
      const where = error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
      throw new FormatError(`not valid YAML: ${where}${error.message.split('\n')[0]}`);
    }
    const prefix = documents.length > 1 ? `#${index + 1}` : '';
    visit(doc, {
      Scalar(key, node, path) {
        if (key === 'key' || typeof node.value !== 'string' || !node.range) return;
        // Inside a complex key (`? [a, b]`): part of a key, not text.
        for (let at = 0; at < path.length - 1; at++) {
          const item = path[at];
          if (isPair(item) && item.key === path[at + 1]) return;
        }
        if (!STRING_TAGS.has(node.tag)) return;
        if (node.value.trim() === '' || /^:[A-Za-z_]\w*[?!]?$/.test(node.value)) return;
        // The key path: a pair gives its key, a sequence the index of the item the path goes through.
        const segments: string[] = [];
        path.forEach((item, at) => {
          if (isPair(item))
            segments.push(
              String(isScalar(item.key) ? item.key.value : item.key)
                .replace(/~/g, '~0')
                .replace(/\//g, '~1'),
            );
          else if (isSeq(item)) segments.push(String(item.items.indexOf(path[at + 1] ?? node)));
        });
        let id = `${prefix}/${segments.join('/')}`;
        // Duplicate keys (allowed by some loaders, last one wins) still get distinct ids.
        while (seen.has(id)) id += '~';
        seen.add(id);
        const [start, end] = node.range;
        const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
        const text = block ? node.value.replace(/\n+$/, '') : node.value;
        sites.push({
          id,
          start,
          end: block ? blockContentEnd(source, start, end) : end,
          type: node.type ?? 'PLAIN',
          inFlow: path.some((item) => (isMap(item) || isSeq(item)) && item.flow === true),
          text,
        });
      },
    });
  });
  sites.sort((a, b) => a.start - b.start);
  const newline = newlineOf(source);
  const byId = new Map(sites.map((site) => [site.id, site]));
  const spans: Span[] = sites.map(({ id, start, end }) => ({ id, start, end }));
  return {
    segments: sites.map((site) => ({ id: site.id, text: site.text })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        const site = byId.get(span.id)!;
        if (value === undefined || value === site.text) return undefined;
        return writeScalar(value, site, source, newline);
      }),
    placeholders: YAML_MARKUP,
  };
}
