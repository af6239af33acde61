// Format detection and parsing.
import { extname } from 'node:path';
import { parseDelimited } from './csv-format.js';
import { FormatError, type FormatName, type FormatOptions, type ParsedDocument } from './format.js';
import { parseJson } from './json-format.js';
import { parseSrt } from './srt-format.js';
import { parseText } from './text-format.js';

export * from './format.js';

export const FORMATS: readonly FormatName[] = ['text', 'json', 'csv', 'tsv', 'srt'];

export function detectFormat(path: string, explicit?: string): FormatName {
  if (explicit) {
    if (!(FORMATS as readonly string[]).includes(explicit))
      throw new FormatError(`unknown --format "${explicit}" (use ${FORMATS.join(', ')})`);
    return explicit as FormatName;
  }
  switch (extname(path).toLowerCase()) {
    case '.json':
      return 'json';
    case '.csv':
      return 'csv';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.srt':
      return 'srt';
    default:
      return 'text';
  }
}

export function parseDocument(source: string, format: FormatName, options: FormatOptions = {}): ParsedDocument {
  switch (format) {
    case 'json':
      return parseJson(source);
    case 'csv':
      return parseDelimited(source, options.delimiter ?? ',', options.column);
    case 'tsv':
      return parseDelimited(source, options.delimiter ?? '\t', options.column);
    case 'srt':
      return parseSrt(source);
    default:
      return parseText(source);
  }
}
