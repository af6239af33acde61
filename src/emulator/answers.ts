// Deterministic answers: the same seed, model and prompt give the same text. JSON mode follows the
// response schema; a schema of ids → strings whose ids appear in a JSON object in the prompt gets
// each id's string transformed (ROT13, or unchanged for an "echo" model), so batch alignment can be
// checked end to end.
import { findJsonObjects, type GenerateContentRequest, type Schema } from '../wire/index.js';

const WORDS = [
  'amber',
  'brook',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'grove',
  'harbor',
  'island',
  'juniper',
  'kestrel',
  'lagoon',
  'meadow',
  'nectar',
  'orchard',
  'prairie',
  'quartz',
  'river',
  'summit',
  'tundra',
  'upland',
  'valley',
  'willow',
  'zephyr',
];

/** FNV-1a over a string: a small, stable hash for picking words. */
export function hashText(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function rot13(text: string): string {
  return text.replace(/[a-zA-Z]/g, (char) => {
    const base = char <= 'Z' ? 65 : 97;
    return String.fromCharCode(((char.charCodeAt(0) - base + 13) % 26) + base);
  });
}

export function promptText(request: GenerateContentRequest): string {
  return (request.contents ?? [])
    .flatMap((content) => content.parts ?? [])
    .map((part) => part.text ?? '')
    .join('\n');
}

function lastUserText(request: GenerateContentRequest): string {
  const contents = request.contents ?? [];
  for (let i = contents.length - 1; i >= 0; i--) {
    const content = contents[i]!;
    if (content.role === undefined || content.role === 'user')
      return (content.parts ?? []).map((part) => part.text ?? '').join('\n');
  }
  return '';
}

export function generatedWords(seedText: string, seed: number, count: number): string {
  let state = hashText(seedText, seed);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    state = Math.imul(state ^ (state >>> 13), 0x5bd1e995) >>> 0;
    words.push(WORDS[state % WORDS.length]!);
  }
  const sentence = words.join(' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1) + '.';
}

function valueForSchema(schema: Schema | undefined, seedText: string, seed: number, depth: number): unknown {
  const type = String(schema?.type ?? 'STRING').toUpperCase();
  if (schema?.enum && schema.enum.length > 0) return schema.enum[hashText(seedText, seed) % schema.enum.length];
  if (depth > 6) return null;
  switch (type) {
    case 'OBJECT': {
      const out: Record<string, unknown> = {};
      const keys = schema?.propertyOrdering ?? Object.keys(schema?.properties ?? {});
      for (const key of keys)
        out[key] = valueForSchema(schema?.properties?.[key], `${seedText}/${key}`, seed, depth + 1);
      return out;
    }
    case 'ARRAY': {
      const count = Math.max(Number(schema?.minItems ?? 1), 1);
      return Array.from({ length: Math.min(count, 3) }, (_, index) =>
        valueForSchema(schema?.items, `${seedText}[${index}]`, seed, depth + 1),
      );
    }
    case 'INTEGER':
      return hashText(seedText, seed) % 100;
    case 'NUMBER':
      return (hashText(seedText, seed) % 1000) / 10;
    case 'BOOLEAN':
      return hashText(seedText, seed) % 2 === 0;
    case 'NULL':
      return null;
    default:
      return generatedWords(seedText, seed, 3).replace(/\.$/, '');
  }
}

/** A JSON Schema (responseJsonSchema) read as the OpenAPI subset, enough to shape an answer. */
function fromJsonSchema(schema: unknown): Schema | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const source = schema as Record<string, unknown>;
  const type: unknown = Array.isArray(source.type) ? source.type.find((t) => t !== 'null') : source.type;
  const properties =
    source.properties && typeof source.properties === 'object'
      ? Object.fromEntries(
          Object.entries(source.properties as Record<string, unknown>).map(([key, value]) => [
            key,
            fromJsonSchema(value) ?? {},
          ]),
        )
      : undefined;
  return {
    ...(typeof type === 'string' ? { type: type.toUpperCase() } : {}),
    ...(properties ? { properties } : {}),
    ...(source.items ? { items: fromJsonSchema(source.items) ?? {} } : {}),
    ...(Array.isArray(source.enum) ? { enum: source.enum.map(String) } : {}),
  };
}

/** When the schema maps ids to strings and the prompt holds an object with those ids: id → transformed string. */
function idMapAnswer(
  schema: Schema,
  request: GenerateContentRequest,
  echo: boolean,
): Record<string, string> | undefined {
  if (String(schema.type ?? '').toUpperCase() !== 'OBJECT' || !schema.properties) return undefined;
  const ids = Object.keys(schema.properties);
  if (ids.length === 0 || !ids.every((id) => String(schema.properties![id]?.type ?? '').toUpperCase() === 'STRING'))
    return undefined;
  const text = lastUserText(request) || promptText(request);
  for (const candidate of findJsonObjects(text).reverse()) {
    const source = candidate as Record<string, unknown>;
    if (ids.every((id) => typeof source[id] === 'string')) {
      return Object.fromEntries(ids.map((id) => [id, echo ? String(source[id]) : rot13(String(source[id]))]));
    }
  }
  return undefined;
}

export interface AnswerOptions {
  seed: number;
  model: string;
  echo: boolean;
}

/** The answer text for a request: JSON when JSON was asked for, words otherwise. */
export function answerText(request: GenerateContentRequest, options: AnswerOptions): string {
  const config = request.generationConfig ?? {};
  const seedText = `${options.model}\n${promptText(request)}`;
  if (config.responseMimeType === 'application/json') {
    const schema = config.responseSchema ?? fromJsonSchema(config.responseJsonSchema ?? config._responseJsonSchema);
    if (schema) {
      const mapped = idMapAnswer(schema, request, options.echo);
      if (mapped) return JSON.stringify(mapped);
      return JSON.stringify(valueForSchema(schema, seedText, options.seed, 0));
    }
    return JSON.stringify({ answer: generatedWords(seedText, options.seed, 6) });
  }
  if (options.echo) return lastUserText(request);
  return generatedWords(seedText, options.seed, 12);
}

interface Declaration {
  name: string;
  parameters?: Schema;
  parametersJsonSchema?: unknown;
}

/**
 * The function the model calls, if any: with mode ANY always (the first allowed), with AUTO when
 * the last user turn names a declared function and is not itself a function response.
 */
export function functionCallFor(
  request: GenerateContentRequest,
  seed: number,
): { name: string; args: Record<string, unknown> } | undefined {
  const declarations = (request.tools ?? []).flatMap((tool) => (tool.functionDeclarations ?? []) as Declaration[]);
  if (declarations.length === 0) return undefined;
  const config = (
    request.toolConfig as { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } } | undefined
  )?.functionCallingConfig;
  const mode = String(config?.mode ?? 'AUTO').toUpperCase();
  if (mode === 'NONE') return undefined;
  const allowed = declarations.filter(
    (declaration) => !config?.allowedFunctionNames || config.allowedFunctionNames.includes(declaration.name),
  );
  const last = request.contents?.[request.contents.length - 1];
  if (last?.parts?.some((part) => part.functionResponse)) return undefined;
  const text = lastUserText(request);
  const chosen = mode === 'ANY' ? allowed[0] : allowed.find((declaration) => text.includes(declaration.name));
  if (!chosen) return undefined;
  const schema = chosen.parameters ?? fromJsonSchema(chosen.parametersJsonSchema) ?? { type: 'OBJECT', properties: {} };
  const args = valueForSchema(schema, `${chosen.name}\n${text}`, seed, 0);
  return {
    name: chosen.name,
    args: typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
  };
}
