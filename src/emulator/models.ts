// The models the emulator offers, with the limits Google publishes for them. Quotas are enforced
// only where the config sets them (rpm, tpm, rpd), so an unconfigured emulator never answers 429
// by itself.
import type { ModelInfo } from '../wire/index.js';
import type { EmulatorModelConfig } from './config.js';
import type { ThinkingRange } from './request-checks.js';

interface ModelFacts {
  displayName: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  thinking: boolean;
  /** Thinking budget range (https://ai.google.dev/gemini-api/docs/thinking); absent: the model does not think. */
  thinkingRange?: ThinkingRange;
  /** Gemini 3 models sign their function calls and require the signatures back (thought signatures). */
  signsFunctionCalls?: boolean;
}

export const KNOWN_MODELS: Record<string, ModelFacts> = {
  'gemini-3-pro-preview': {
    displayName: 'Gemini 3 Pro Preview',
    version: '3-pro-preview-11-2025',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
    thinkingRange: { min: 128, max: 32_768, canDisable: false },
    signsFunctionCalls: true,
  },
  'gemini-3-flash-preview': {
    displayName: 'Gemini 3 Flash Preview',
    version: '3-flash-preview-12-2025',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
    thinkingRange: { min: 1, max: 24_576, canDisable: false },
    signsFunctionCalls: true,
  },
  'gemini-2.5-pro': {
    displayName: 'Gemini 2.5 Pro',
    version: '2.5',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
    thinkingRange: { min: 128, max: 32_768, canDisable: false },
  },
  'gemini-2.5-flash': {
    displayName: 'Gemini 2.5 Flash',
    version: '001',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
    thinkingRange: { min: 1, max: 24_576, canDisable: true },
  },
  'gemini-2.5-flash-lite': {
    displayName: 'Gemini 2.5 Flash-Lite',
    version: '001',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
    thinkingRange: { min: 512, max: 24_576, canDisable: true },
  },
  'gemini-2.0-flash': {
    displayName: 'Gemini 2.0 Flash',
    version: '2.0',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 8_192,
    thinking: false,
  },
  'gemini-2.0-flash-lite': {
    displayName: 'Gemini 2.0 Flash-Lite',
    version: '2.0',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 8_192,
    thinking: false,
  },
};

export interface EmulatedModel extends EmulatorModelConfig {
  name: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  /** Thinking budget range; undefined when the model does not think. */
  thinkingRange: ThinkingRange | undefined;
  /** Whether function calls carry thought signatures that later turns must send back (Gemini 3). */
  signsFunctionCalls: boolean;
  info: ModelInfo;
}

const METHODS = ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'];

function displayName(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

/** The model table: the known models plus any named in the config (config values win). */
export function buildModels(configured: Record<string, EmulatorModelConfig> | undefined): Map<string, EmulatedModel> {
  const names = new Set([...Object.keys(KNOWN_MODELS), ...Object.keys(configured ?? {})]);
  const models = new Map<string, EmulatedModel>();
  for (const name of names) {
    const facts = KNOWN_MODELS[name];
    const config = configured?.[name] ?? {};
    const inputTokenLimit = config.inputTokenLimit ?? facts?.inputTokenLimit ?? 1_048_576;
    const outputTokenLimit = config.outputTokenLimit ?? facts?.outputTokenLimit ?? 65_536;
    const thinks = config.thinking ?? facts?.thinking ?? false;
    models.set(name, {
      ...config,
      name,
      inputTokenLimit,
      outputTokenLimit,
      thinkingRange: thinks ? (facts?.thinkingRange ?? { min: 1, max: 24_576, canDisable: true }) : undefined,
      signsFunctionCalls: config.thoughtSignatures ?? facts?.signsFunctionCalls ?? false,
      info: {
        name: `models/${name}`,
        baseModelId: name,
        version: facts?.version ?? '001',
        displayName: facts?.displayName ?? displayName(name),
        description: `${facts?.displayName ?? displayName(name)} (emulated)`,
        inputTokenLimit,
        outputTokenLimit,
        supportedGenerationMethods: METHODS,
        temperature: 1,
        topP: 0.95,
        topK: 64,
        maxTemperature: 2,
        thinking: thinks,
      },
    });
  }
  return models;
}
