// Checks the Gemini API makes on a request after its JSON shape is known: bytes fields must be
// base64, enum fields must name a value of the enum, and numbers must be in range. Paths are
// written the way the API writes them (proto field names, snake_case, with indexes).
// Wordings: bytes and enums follow protobuf JSON parsing as Google answers it ("Invalid value at
// 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed for \"…\"", seen in
// public reports); "The thinking budget (N) is invalid." is Google's; the range messages for
// temperature, topP, candidateCount and logprobs are modelled on the API's
// "* GenerateContentRequest.<field>: …" form, as no captured text is at hand.
import type { Content, FieldViolation, GenerateContentRequest } from '../wire/index.js';

const ENUM_PREFIX = 'type.googleapis.com/google.ai.generativelanguage.v1beta.';

const HARM_CATEGORIES = [
  'HARM_CATEGORY_UNSPECIFIED',
  'HARM_CATEGORY_DEROGATORY',
  'HARM_CATEGORY_TOXICITY',
  'HARM_CATEGORY_VIOLENCE',
  'HARM_CATEGORY_SEXUAL',
  'HARM_CATEGORY_MEDICAL',
  'HARM_CATEGORY_DANGEROUS',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_CIVIC_INTEGRITY',
];
const THRESHOLDS = [
  'HARM_BLOCK_THRESHOLD_UNSPECIFIED',
  'BLOCK_LOW_AND_ABOVE',
  'BLOCK_MEDIUM_AND_ABOVE',
  'BLOCK_ONLY_HIGH',
  'BLOCK_NONE',
  'OFF',
];
const CALLING_MODES = ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'];
const MODALITIES = ['MODALITY_UNSPECIFIED', 'TEXT', 'IMAGE', 'AUDIO'];
const THINKING_LEVELS = ['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH'];
const MEDIA_RESOLUTIONS = [
  'MEDIA_RESOLUTION_UNSPECIFIED',
  'MEDIA_RESOLUTION_LOW',
  'MEDIA_RESOLUTION_MEDIUM',
  'MEDIA_RESOLUTION_HIGH',
];

/** Standard or URL-safe base64, padded or not, as protobuf JSON accepts for bytes. */
export function isBase64(value: string): boolean {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return false;
  const body = value.replace(/=+$/, '');
  if (body.length % 4 === 1) return false;
  return value.length === body.length || value.length % 4 === 0;
}

function shown(value: string): string {
  return JSON.stringify(value.length > 1000 ? value.slice(0, 1000) : value);
}

function bytesViolation(path: string, value: string): FieldViolation {
  return {
    field: path,
    description: `Invalid value at '${path}' (TYPE_BYTES), Base64 decoding failed for ${shown(value)}`,
  };
}

function enumViolation(path: string, enumName: string, value: unknown): FieldViolation {
  return {
    field: path,
    description: `Invalid value at '${path}' (${ENUM_PREFIX}${enumName}), ${JSON.stringify(value)}`,
  };
}

function checkEnum(out: FieldViolation[], path: string, enumName: string, values: string[], value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < values.length) return;
  if (typeof value === 'string' && values.includes(value)) return;
  out.push(enumViolation(path, enumName, value));
}

function checkContentBytes(out: FieldViolation[], content: Content | undefined, path: string): void {
  (content?.parts ?? []).forEach((part, index) => {
    const at = `${path}.parts[${index}]`;
    const data = part?.inlineData?.data;
    if (typeof data === 'string' && !isBase64(data)) out.push(bytesViolation(`${at}.inline_data.data`, data));
    const signature = part?.thoughtSignature;
    if (typeof signature === 'string' && !isBase64(signature))
      out.push(bytesViolation(`${at}.thought_signature`, signature));
  });
}

/** Parser-level problems (bytes and enums) in a camelCase-normalised request, in request order. */
export function fieldValueViolations(request: GenerateContentRequest, prefix = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  (request.contents ?? []).forEach((content, index) => checkContentBytes(out, content, `${prefix}contents[${index}]`));
  if (request.systemInstruction) checkContentBytes(out, request.systemInstruction, `${prefix}system_instruction`);
  (request.safetySettings ?? []).forEach((setting, index) => {
    checkEnum(out, `${prefix}safety_settings[${index}].category`, 'HarmCategory', HARM_CATEGORIES, setting?.category);
    checkEnum(
      out,
      `${prefix}safety_settings[${index}].threshold`,
      'SafetySetting.HarmBlockThreshold',
      THRESHOLDS,
      setting?.threshold,
    );
  });
  const calling = (request.toolConfig as { functionCallingConfig?: { mode?: unknown } } | undefined)
    ?.functionCallingConfig;
  checkEnum(
    out,
    `${prefix}tool_config.function_calling_config.mode`,
    'FunctionCallingConfig.Mode',
    CALLING_MODES,
    calling?.mode,
  );
  const config = request.generationConfig;
  (config?.responseModalities ?? []).forEach((modality, index) =>
    checkEnum(
      out,
      `${prefix}generation_config.response_modalities[${index}]`,
      'GenerationConfig.Modality',
      MODALITIES,
      modality,
    ),
  );
  checkEnum(
    out,
    `${prefix}generation_config.thinking_config.thinking_level`,
    'ThinkingConfig.ThinkingLevel',
    THINKING_LEVELS,
    config?.thinkingConfig?.thinkingLevel,
  );
  checkEnum(
    out,
    `${prefix}generation_config.media_resolution`,
    'GenerationConfig.MediaResolution',
    MEDIA_RESOLUTIONS,
    (config as { mediaResolution?: unknown } | undefined)?.mediaResolution,
  );
  return out;
}

/** A model's thinking budget range: [min, max], whether 0 (off) is allowed; undefined when it cannot think. */
export interface ThinkingRange {
  min: number;
  max: number;
  canDisable: boolean;
}

/**
 * Backend range checks, after parsing. Returns the first problem's message, or undefined.
 * Thinking budget ranges per model are from https://ai.google.dev/gemini-api/docs/thinking.
 */
export function rangeProblem(request: GenerateContentRequest, thinking: ThinkingRange | undefined): string | undefined {
  const config = request.generationConfig ?? {};
  const field = (name: string, text: string) => `* GenerateContentRequest.generation_config.${name}: ${text}\n`;
  const num = (value: unknown) => (value === undefined || value === null ? undefined : Number(value));
  const temperature = num(config.temperature);
  if (temperature !== undefined && (temperature < 0 || temperature > 2))
    return field('temperature', 'temperature must be in the range [0.0, 2.0].');
  const topP = num(config.topP);
  if (topP !== undefined && (topP < 0 || topP > 1)) return field('top_p', 'top_p must be in the range [0.0, 1.0].');
  // proto3: an int32 of 0 is the same as unset (1 candidate).
  const candidates = num(config.candidateCount);
  if (candidates !== undefined && (candidates < 0 || candidates > 8))
    return field('candidate_count', 'candidate_count must be in the range [1, 8].');
  const logprobs = num(config.logprobs);
  if (logprobs !== undefined && (logprobs < 0 || logprobs > 20))
    return field('logprobs', 'logprobs must be in the range [0, 20].');
  const maxOutput = num(config.maxOutputTokens);
  if (maxOutput !== undefined && maxOutput < 0)
    return field('max_output_tokens', 'max_output_tokens must be positive.');
  const budget = num(config.thinkingConfig?.thinkingBudget);
  if (budget !== undefined && budget !== -1 && thinking) {
    if (budget === 0 && !thinking.canDisable) return 'Budget 0 is invalid. This model only works in thinking mode.';
    // Below the minimum, the API raises the budget to it; above the maximum (or negative) it refuses.
    if (budget < 0 || budget > thinking.max) return `The thinking budget (${budget}) is invalid.`;
  }
  return undefined;
}
