// The models the emulator offers, with the limits Google publishes for them. Quotas are enforced
// only where the config sets them (rpm, tpm, rpd), so an unconfigured emulator never answers 429
// by itself.
import type { ModelInfo } from '../wire/index.js';
import type { EmulatorModelConfig } from './config.js';

interface ModelFacts {
  displayName: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  thinking: boolean;
}

export const KNOWN_MODELS: Record<string, ModelFacts> = {
  'gemini-2.5-pro': {
    displayName: 'Gemini 2.5 Pro',
    version: '2.5',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
  },
  'gemini-2.5-flash': {
    displayName: 'Gemini 2.5 Flash',
    version: '001',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
  },
  'gemini-2.5-flash-lite': {
    displayName: 'Gemini 2.5 Flash-Lite',
    version: '001',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    thinking: true,
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
    models.set(name, {
      ...config,
      name,
      inputTokenLimit,
      outputTokenLimit,
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
        thinking: facts?.thinking ?? false,
      },
    });
  }
  return models;
}
