// Models in OpenAI's shape. `/v1/models` and `/v1/models/{id}` are served to both SDKs (the path is
// in both APIs), so each answer carries Gemini's fields and OpenAI's side by side; neither parser
// is disturbed by the other's members.
import { bareModelName, type ModelInfo } from '../../wire/index.js';
import type { OpenAiModel } from './types.js';

/** A Gemini model as OpenAI's model object. Gemini gives no creation time: `created` is 0. */
export function toOpenAiModel(model: ModelInfo): OpenAiModel {
  return { id: bareModelName(model.name), object: 'model', created: 0, owned_by: 'google' };
}

/** Gemini's model with OpenAI's members added, for the shared `/v1/models/{id}`. */
export function toSharedModel(model: ModelInfo): ModelInfo & OpenAiModel {
  return { ...model, ...toOpenAiModel(model) };
}
