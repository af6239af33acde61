// Gemini-only request options on the OpenAI route, as Google's own OpenAI layer takes them
// (ai.google.dev/gemini-api/docs/openai): `reasoning_effort`, and a `google` object that clients
// send either at the top level (Python's `extra_body={"google": …}` merges into the body) or as
// `extra_body.google` (JavaScript clients and raw HTTP callers following Google's examples).
import { z } from 'zod';
import type { SafetySetting, ThinkingConfig } from '../../wire/index.js';
import { TranslationError } from './translation-error.js';

/** OpenAI's `reasoning_effort` values Google's layer accepts. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

const thinkingConfigSchema = z
  .object({
    thinking_budget: z.number().int().min(-1).optional(),
    thinkingBudget: z.number().int().min(-1).optional(),
    thinking_level: z.string().min(1).optional(),
    thinkingLevel: z.string().min(1).optional(),
    include_thoughts: z.boolean().optional(),
    includeThoughts: z.boolean().optional(),
  })
  .strict();

const safetySettingSchema = z.object({ category: z.string().min(1), threshold: z.string().min(1) }).strict();

/**
 * The members of `google` we understand. Unknown members are refused with a 400 rather than
 * dropped: a dropped option (say, a cache) silently changes the answer.
 */
export const googleOptionsSchema = z
  .object({
    cached_content: z.string().min(1).optional(),
    cachedContent: z.string().min(1).optional(),
    thinking_config: thinkingConfigSchema.optional(),
    thinkingConfig: thinkingConfigSchema.optional(),
    safety_settings: z.array(safetySettingSchema).optional(),
    safetySettings: z.array(safetySettingSchema).optional(),
    thought_tag_marker: z
      .string()
      .regex(/^[A-Za-z][\w-]{0,31}$/, 'thought_tag_marker must be a tag name such as "think"')
      .optional(),
  })
  .strict();

/** What the `google` member asks of Gemini, with snake_case and camelCase spellings merged. */
export interface GoogleOptions {
  /** `cachedContents/{id}`: the cache whose contents prefix this request. */
  cachedContent?: string;
  thinkingConfig?: ThinkingConfig;
  safetySettings?: SafetySetting[];
  /** When set, thoughts come back inside `content` wrapped in `<marker>…</marker>` (Vertex's form). */
  thoughtTagMarker?: string;
}

function pick<T>(snake: T | undefined, camel: T | undefined): T | undefined {
  return snake ?? camel;
}

/**
 * Reads `google` and `extra_body.google` from a chat or embeddings body (the first wins when both
 * are present). Throws TranslationError naming the member at fault.
 */
export function readGoogleOptions(body: Record<string, unknown>): GoogleOptions {
  const extra = body.extra_body;
  const fromExtra = typeof extra === 'object' && extra !== null ? (extra as Record<string, unknown>).google : undefined;
  const raw = body.google ?? fromExtra;
  const where = body.google !== undefined ? 'google' : 'extra_body.google';
  if (raw === undefined || raw === null) return {};
  const parsed = googleOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = [where, ...issue.path.map(String)].join('.');
    const known = Object.keys(googleOptionsSchema.shape).join(', ');
    const message =
      issue.code === 'unrecognized_keys'
        ? `${path}: unknown member ${issue.keys.map((key) => JSON.stringify(key)).join(', ')} (known: ${known})`
        : `${path}: ${issue.message}`;
    throw new TranslationError(message, path);
  }
  const google = parsed.data;
  const thinking = google.thinking_config ?? google.thinkingConfig;
  const thinkingConfig: ThinkingConfig | undefined = thinking
    ? {
        ...defined('thinkingBudget', pick(thinking.thinking_budget, thinking.thinkingBudget)),
        ...defined('thinkingLevel', pick(thinking.thinking_level, thinking.thinkingLevel)),
        ...defined('includeThoughts', pick(thinking.include_thoughts, thinking.includeThoughts)),
      }
    : undefined;
  if (thinkingConfig?.thinkingBudget !== undefined && thinkingConfig.thinkingLevel !== undefined)
    throw new TranslationError(
      `${where}.thinking_config: thinking_budget and thinking_level cannot both be set`,
      `${where}.thinking_config`,
    );
  const cached = pick(google.cached_content, google.cachedContent);
  const safety = pick(google.safety_settings, google.safetySettings);
  return {
    ...(cached !== undefined
      ? { cachedContent: cached.startsWith('cachedContents/') ? cached : `cachedContents/${cached}` }
      : {}),
    ...(thinkingConfig ? { thinkingConfig } : {}),
    ...(safety ? { safetySettings: safety } : {}),
    ...(google.thought_tag_marker ? { thoughtTagMarker: google.thought_tag_marker } : {}),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Gemini 3 models take a thinking level; earlier thinking models a token budget. */
function isGemini3(model: string): boolean {
  return /^gemini-3(?:[.-]|$)/.test(model);
}

/**
 * Google's mapping of `reasoning_effort` (ai.google.dev/gemini-api/docs/openai, "Thinking"):
 * Gemini 3 Pro knows only the levels low and high (so minimal/none → low, medium → high; Gemini 3.1
 * Pro added medium), other Gemini 3 models minimal/low/medium/high (none → minimal, as Gemini 3
 * cannot turn thinking off); Gemini 2.5 and earlier take budgets of 1,024 (minimal, low),
 * 8,192 (medium) and 24,576 (high) tokens, and 0 (none) turns thinking off.
 */
export function thinkingForEffort(model: string, effort: ReasoningEffort): ThinkingConfig {
  if (isGemini3(model)) {
    const pro = /^gemini-3(?:\.\d+)?-pro/.test(model);
    const proWithMedium = /^gemini-3\.[1-9]\d*-pro/.test(model);
    if (pro) {
      const level = effort === 'high' ? 'high' : effort === 'medium' ? (proWithMedium ? 'medium' : 'high') : 'low';
      return { thinkingLevel: level };
    }
    return { thinkingLevel: effort === 'none' ? 'minimal' : effort };
  }
  const budget = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576 }[effort];
  return { thinkingBudget: budget };
}

/**
 * The thinking config to send: `reasoning_effort` mapped, or `google.thinking_config` as given.
 * Both choosing the amount of thinking is refused, as Google's layer refuses it; `include_thoughts`
 * combines with either.
 */
export function mergeThinking(
  model: string,
  effort: ReasoningEffort | null | undefined,
  google: ThinkingConfig | undefined,
): ThinkingConfig | undefined {
  if (effort === null || effort === undefined) return google;
  if (google?.thinkingBudget !== undefined || google?.thinkingLevel !== undefined)
    throw new TranslationError(
      'reasoning_effort and google.thinking_config (thinking_budget or thinking_level) both set the amount of thinking: send one of them',
      'reasoning_effort',
    );
  return {
    ...thinkingForEffort(model, effort),
    ...(google?.includeThoughts !== undefined ? { includeThoughts: google.includeThoughts } : {}),
  };
}
