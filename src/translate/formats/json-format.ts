// JSON files: a flat array of strings or object of id → string (MTool's export is one), GalTransl's
// [{name, message}] array, or any JSON with --json-path choosing the strings (JSONPath, through the
// jsonpath-plus library). Only the chosen string literals change; every other byte stays.
import { JSONPath } from 'jsonpath-plus';
import { FormatError, renderSpans, type ParsedDocument, type Span } from './format.js';
import { jsonLiteral, scanJson, type JsonStringSite } from './json-scan.js';

/** A document translating the strings at `pointers` (in file order); blank strings are skipped. */
export function documentFromSites(
  source: string,
  sites: ReadonlyMap<string, JsonStringSite>,
  pointers: Iterable<string>,
  placeholders?: RegExp,
): ParsedDocument {
  const chosen = [...new Set(pointers)]
    .map((pointer) => sites.get(pointer))
    .filter((site): site is JsonStringSite => site !== undefined && site.value.trim() !== '')
    .sort((a, b) => a.start - b.start);
  const spans: Span[] = chosen.map((site) => ({ start: site.start, end: site.end, id: site.pointer }));
  const bySite = new Map(chosen.map((site) => [site.pointer, site]));
  return {
    segments: chosen.map((site) => ({ id: site.pointer, text: site.value })),
    render: (translations) =>
      renderSpans(source, spans, (span) => {
        const value = translations.get(span.id);
        const site = bySite.get(span.id)!;
        if (value === undefined || value === site.value) return undefined;
        return jsonLiteral(value, source.slice(site.start, site.end));
      }),
    ...(placeholders ? { placeholders } : {}),
  };
}

/**
 * True for the nested objects of i18n libraries (i18next, vue-i18n, ngx-translate, a Chrome
 * extension's messages.json): objects all the way down, every leaf a string. A number, boolean,
 * null or array anywhere means the file is data, not messages, and it is not guessed at.
 */
function isMessageTree(value: unknown): boolean {
  return isStringTree(value, 0) && Object.values(value as object).some((item) => typeof item !== 'string');
}

function isStringTree(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 32) return false;
  const entries = Object.values(value);
  return entries.length > 0 && entries.every((item) => typeof item === 'string' || isStringTree(item, depth + 1));
}

/**
 * A flat array of strings or object of id → string (MTool's `{original: original}` export too), or
 * a nested i18n object whose leaves are all strings (each leaf translated, keys kept).
 */
export function parseFlatJson(source: string): ParsedDocument {
  const { value, sites } = scanJson(source);
  if (typeof value !== 'object' || value === null)
    throw new FormatError('JSON input must be an array of strings or an object of id → string (or give --json-path)');
  if (isMessageTree(value)) return documentFromSites(source, sites, sites.keys());
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new FormatError(
        `JSON value ${Array.isArray(value) ? `[${key}]` : JSON.stringify(key)} is not a string: give --json-path to choose the strings to translate (for example --json-path '$..text'), or --format rpgmaker / galtransl`,
      );
  }
  return documentFromSites(
    source,
    sites,
    Object.keys(value).map((key) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
  );
}

/** True for GalTransl's JSON: an array of objects each with a string "message". */
export function isGalTransl(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (item) =>
        typeof item === 'object' && item !== null && typeof (item as Record<string, unknown>).message === 'string',
    )
  );
}

/** GalTransl's [{name, message}]: each message is translated; speaker names are kept. */
export function parseGalTransl(source: string): ParsedDocument {
  const { value, sites } = scanJson(source);
  if (!isGalTransl(value))
    throw new FormatError('GalTransl JSON must be an array of objects each with a "message" string');
  return documentFromSites(
    source,
    sites,
    (value as unknown[]).map((_, index) => `/${index}/message`),
  );
}

/** Any JSON: the strings the JSONPath expressions select (non-strings they select are an error). */
export function parseJsonPath(source: string, expressions: readonly string[]): ParsedDocument {
  const { value, sites } = scanJson(source);
  const pointers: string[] = [];
  for (const path of expressions) {
    let found: string[];
    try {
      found = JSONPath<string[]>({ path, json: value as object, resultType: 'pointer', wrap: true, eval: false });
    } catch (error) {
      throw new FormatError(`--json-path "${path}" is not a JSONPath expression: ${(error as Error).message}`);
    }
    if (found.length === 0) throw new FormatError(`--json-path "${path}" selects nothing in this file`);
    for (const pointer of found) {
      if (!sites.has(pointer))
        throw new FormatError(
          `--json-path "${path}" selects ${pointer || '/'}, which is not a string; choose the strings themselves (for example '$..message')`,
        );
      pointers.push(pointer);
    }
  }
  return documentFromSites(source, sites, pointers);
}
