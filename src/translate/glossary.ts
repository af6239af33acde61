// A glossary: term → required translation, from JSON ({"term": "translation"}) or CSV/TSV lines.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load-file.js';

export type Glossary = Map<string, string>;

/** A bad glossary is a usage problem like a bad config file. */
export class GlossaryError extends ConfigError {
  override readonly name: string = 'GlossaryError';
}

export function loadGlossary(path: string): Glossary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GlossaryError(`cannot read glossary ${path}`);
  }
  if (path.toLowerCase().endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new GlossaryError(`glossary ${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new GlossaryError(`glossary ${path} must be an object of term → translation`);
    return new Map(Object.entries(value).map(([term, translation]) => [term, String(translation)]));
  }
  const glossary: Glossary = new Map();
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [term, translation] = line.includes('\t') ? line.split('\t') : line.split(',');
    if (term?.trim() && translation?.trim()) glossary.set(term.trim(), translation.trim());
  }
  return glossary;
}

/** The glossary entries whose term appears in any of the texts (case-insensitive). */
export function termsIn(glossary: Glossary, texts: readonly string[]): Record<string, string> {
  const haystack = texts.join('\n').toLowerCase();
  return Object.fromEntries([...glossary].filter(([term]) => haystack.includes(term.toLowerCase())));
}
