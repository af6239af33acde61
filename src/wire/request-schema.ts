// The shape of request messages as protobuf JSON sees them: field names (camelCase and their
// snake_case spellings are both accepted), scalar types, nesting. Used to answer the way the API
// does for unknown fields and wrong types: "Invalid JSON payload received. Unknown name …".
import type { FieldViolation } from './error-envelope.js';

type FieldType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'any'
  | 'object'
  | { message: string }
  | { repeated: FieldType }
  | { map: FieldType };

type MessageSpec = Record<string, FieldType>;

const repeated = (of: FieldType): FieldType => ({ repeated: of });
const message = (name: string): FieldType => ({ message: name });

const MESSAGES: Record<string, MessageSpec> = {
  GenerateContentRequest: {
    model: 'string',
    contents: repeated(message('Content')),
    systemInstruction: message('Content'),
    tools: repeated(message('Tool')),
    toolConfig: message('ToolConfig'),
    safetySettings: repeated(message('SafetySetting')),
    generationConfig: message('GenerationConfig'),
    cachedContent: 'string',
    serviceTier: 'string',
    store: 'boolean',
  },
  CountTokensRequest: {
    contents: repeated(message('Content')),
    generateContentRequest: message('GenerateContentRequest'),
  },
  Content: { parts: repeated(message('Part')), role: 'string' },
  Part: {
    text: 'string',
    inlineData: message('Blob'),
    fileData: message('FileData'),
    functionCall: message('FunctionCall'),
    functionResponse: message('FunctionResponse'),
    executableCode: message('ExecutableCode'),
    codeExecutionResult: message('CodeExecutionResult'),
    thought: 'boolean',
    thoughtSignature: 'string',
    videoMetadata: message('VideoMetadata'),
    partMetadata: 'object',
    mediaResolution: 'any',
  },
  Blob: { mimeType: 'string', data: 'string' },
  FileData: { mimeType: 'string', fileUri: 'string' },
  FunctionCall: { id: 'string', name: 'string', args: 'object' },
  FunctionResponse: {
    id: 'string',
    name: 'string',
    response: 'object',
    willContinue: 'boolean',
    scheduling: 'string',
    parts: repeated('any'),
  },
  ExecutableCode: { language: 'string', code: 'string' },
  CodeExecutionResult: { outcome: 'string', output: 'string' },
  VideoMetadata: { startOffset: 'string', endOffset: 'string', fps: 'number' },
  Tool: {
    functionDeclarations: repeated(message('FunctionDeclaration')),
    googleSearchRetrieval: 'object',
    codeExecution: 'object',
    googleSearch: 'object',
    urlContext: 'object',
    computerUse: 'object',
    fileSearch: 'object',
    googleMaps: 'object',
  },
  FunctionDeclaration: {
    name: 'string',
    description: 'string',
    behavior: 'string',
    parameters: message('Schema'),
    parametersJsonSchema: 'any',
    response: message('Schema'),
    responseJsonSchema: 'any',
  },
  Schema: {
    type: 'string',
    format: 'string',
    title: 'string',
    description: 'string',
    nullable: 'boolean',
    enum: repeated('string'),
    maxItems: 'integer',
    minItems: 'integer',
    properties: { map: message('Schema') },
    required: repeated('string'),
    minProperties: 'integer',
    maxProperties: 'integer',
    minLength: 'integer',
    maxLength: 'integer',
    pattern: 'string',
    example: 'any',
    anyOf: repeated(message('Schema')),
    propertyOrdering: repeated('string'),
    default: 'any',
    items: message('Schema'),
    minimum: 'number',
    maximum: 'number',
  },
  ToolConfig: { functionCallingConfig: message('FunctionCallingConfig'), retrievalConfig: 'object' },
  FunctionCallingConfig: { mode: 'string', allowedFunctionNames: repeated('string') },
  SafetySetting: { category: 'string', threshold: 'string' },
  GenerationConfig: {
    stopSequences: repeated('string'),
    responseMimeType: 'string',
    responseSchema: message('Schema'),
    responseJsonSchema: 'any',
    _responseJsonSchema: 'any',
    responseModalities: repeated('string'),
    candidateCount: 'integer',
    maxOutputTokens: 'integer',
    temperature: 'number',
    topP: 'number',
    topK: 'integer',
    seed: 'integer',
    presencePenalty: 'number',
    frequencyPenalty: 'number',
    responseLogprobs: 'boolean',
    logprobs: 'integer',
    enableEnhancedCivicAnswers: 'boolean',
    speechConfig: 'any',
    thinkingConfig: message('ThinkingConfig'),
    imageConfig: 'any',
    mediaResolution: 'string',
  },
  ThinkingConfig: { includeThoughts: 'boolean', thinkingBudget: 'integer', thinkingLevel: 'string' },
};

export type RequestMessage = 'GenerateContentRequest' | 'CountTokensRequest';

const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const camelCase = (name: string): string => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

const PROTO_TYPE_NAMES: Record<string, string> = {
  string: 'TYPE_STRING',
  number: 'TYPE_FLOAT',
  integer: 'TYPE_INT32',
  boolean: 'TYPE_BOOL',
};

function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? '[...]'
      : typeof value === 'object' && value !== null
        ? '{...}'
        : String(value);
}

/** Normalises a request's field names to camelCase, returning a copy (protobuf JSON accepts both). */
export function normaliseFieldNames<T>(value: T, type: RequestMessage): T {
  return normaliseMessage(value, type) as T;
}

function normaliseMessage(value: unknown, messageName: string): unknown {
  const spec = MESSAGES[messageName];
  if (!spec || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const name = spec[key] !== undefined ? key : camelCase(key);
    const fieldType = spec[name];
    out[fieldType === undefined ? key : name] = fieldType === undefined ? child : normaliseField(child, fieldType);
  }
  return out;
}

function normaliseField(value: unknown, type: FieldType): unknown {
  if (typeof type === 'string') return value;
  if ('message' in type) return normaliseMessage(value, type.message);
  if ('repeated' in type) {
    return Array.isArray(value)
      ? value.map((item) => normaliseField(item, type.repeated))
      : value === null
        ? value
        : [normaliseField(value, type.repeated)];
  }
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normaliseField(item, type.map)]));
}

/**
 * Checks a parsed request against the message shapes. Returns one violation per problem with the
 * field path in proto form (snake_case, map entries as `[i].value`), in the API's own wording.
 */
export function validateRequestShape(value: unknown, type: RequestMessage): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    violations.push({ description: `Invalid JSON payload received. Expected an object, got ${describe(value)}.` });
    return violations;
  }
  checkMessage(value as Record<string, unknown>, type, '', violations);
  return violations;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function checkMessage(value: Record<string, unknown>, messageName: string, path: string, out: FieldViolation[]): void {
  const spec = MESSAGES[messageName] ?? {};
  for (const [key, child] of Object.entries(value)) {
    const name = spec[key] !== undefined ? key : camelCase(key);
    const fieldType = spec[name];
    if (fieldType === undefined) {
      const where = path ? ` at '${path}'` : '';
      out.push({
        ...(path ? { field: path } : {}),
        description: `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${where}: Cannot find field.`,
      });
      continue;
    }
    if (child === null) continue; // protobuf JSON treats null as "not set"
    checkField(child, fieldType, join(path, snakeCase(name)), out);
  }
}

function checkField(value: unknown, type: FieldType, path: string, out: FieldViolation[]): void {
  const invalid = (protoType: string) =>
    out.push({
      field: path,
      description: `Invalid value at '${path}' (${protoType}), ${describe(value)}`,
    });
  if (type === 'any') return;
  if (type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) invalid('type.googleapis.com/google.protobuf.Struct');
    return;
  }
  if (type === 'string') {
    if (typeof value !== 'string') invalid(PROTO_TYPE_NAMES.string!);
    return;
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') invalid(PROTO_TYPE_NAMES.boolean!);
    return;
  }
  if (type === 'number' || type === 'integer') {
    const numeric =
      typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(numeric) || (type === 'integer' && !Number.isInteger(numeric)))
      invalid(PROTO_TYPE_NAMES[type]!);
    return;
  }
  if ('repeated' in type) {
    // protobuf JSON as Google parses it takes a lone value for a repeated field as one element.
    if (!Array.isArray(value)) {
      checkField(value, type.repeated, path, out);
      return;
    }
    value.forEach((item, index) => {
      if (item !== null) checkField(item, type.repeated, `${path}[${index}]`, out);
    });
    return;
  }
  if ('map' in type) {
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      invalid('map');
      return;
    }
    Object.values(value).forEach((item, index) => checkField(item, type.map, `${path}[${index}].value`, out));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    invalid(`type.googleapis.com/google.ai.generativelanguage.v1beta.${type.message}`);
    return;
  }
  checkMessage(value as Record<string, unknown>, type.message, path, out);
}
