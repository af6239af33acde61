// The request for one batch: structured output with a schema of ids → strings, a few previous
// lines as context, and the glossary terms that appear in the batch. And the check of the reply:
// exactly the ids asked for, in order, each a string.
import type { GenerateContentRequest } from '../wire/index.js';
import type { Segment } from './formats/index.js';

/** Bump when the prompt changes: checkpoints made with another prompt are not reused. */
export const PROMPT_VERSION = 'v2';

export interface BatchPrompt {
  segments: Segment[];
  context: Array<{ text: string; translation?: string }>;
  glossary: Record<string, string>;
  from?: string;
  to: string;
}

export function buildRequest(batch: BatchPrompt): GenerateContentRequest {
  const ids = batch.segments.map((segment) => segment.id);
  const lines = Object.fromEntries(batch.segments.map((segment) => [segment.id, segment.text]));
  const parts: string[] = [];
  if (batch.context.length > 0) {
    parts.push('Previous lines, for context only (do not translate them again):');
    for (const line of batch.context) parts.push(`- ${line.text}${line.translation ? ` => ${line.translation}` : ''}`);
    parts.push('');
  }
  if (Object.keys(batch.glossary).length > 0) {
    parts.push('Glossary (use these translations):');
    for (const [term, translation] of Object.entries(batch.glossary)) parts.push(`- ${term} => ${translation}`);
    parts.push('');
  }
  parts.push(
    `Translate each value of this JSON object${batch.from ? ` from ${batch.from}` : ''} into ${batch.to}. Answer with a JSON object with exactly the same keys in the same order:`,
  );
  parts.push(JSON.stringify(lines));
  return {
    systemInstruction: {
      parts: [
        {
          text: `You are a professional translator for games and visual novels. Translate faithfully into ${batch.to}, keeping the tone, names and line breaks. Tokens like ⟦1⟧ stand for markup: keep every one exactly once, unchanged, where it belongs in the translation. Never add notes.`,
        },
      ],
    },
    contents: [{ role: 'user', parts: [{ text: parts.join('\n') }] }],
    generationConfig: {
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'OBJECT',
        properties: Object.fromEntries(ids.map((id) => [id, { type: 'STRING' }])),
        required: ids,
        propertyOrdering: ids,
      },
      temperature: 0.2,
    },
  };
}

export type ReplyCheck = { ok: true; translations: Map<string, string> } | { ok: false; problem: string };

export function checkReply(text: string, segments: readonly Segment[]): ReplyCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the reply is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: 'the reply is not a JSON object' };
  const expected = segments.map((segment) => segment.id);
  const got = Object.keys(value);
  const missing = expected.filter((id) => !got.includes(id));
  const extra = got.filter((id) => !expected.includes(id));
  if (missing.length > 0) return { ok: false, problem: `missing ids: ${missing.join(', ')}` };
  if (extra.length > 0) return { ok: false, problem: `extra ids: ${extra.join(', ')}` };
  if (got.some((id, index) => id !== expected[index])) return { ok: false, problem: 'ids out of order' };
  const translations = new Map<string, string>();
  for (const id of expected) {
    const translation = (value as Record<string, unknown>)[id];
    if (typeof translation !== 'string') return { ok: false, problem: `the value of ${id} is not a string` };
    translations.set(id, translation);
  }
  return { ok: true, translations };
}
