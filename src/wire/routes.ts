// The REST routes of the Gemini API: `/{version}/models/{model}:{method}` and the models resource.

export type ApiVersion = 'v1' | 'v1beta' | 'v1alpha';
export type ModelMethod = 'generateContent' | 'streamGenerateContent' | 'countTokens';

export const MODEL_METHODS: readonly ModelMethod[] = ['generateContent', 'streamGenerateContent', 'countTokens'];

export type GeminiRoute =
  | { kind: 'method'; version: ApiVersion; model: string; method: ModelMethod | (string & {}) }
  | { kind: 'list-models'; version: ApiVersion }
  | { kind: 'get-model'; version: ApiVersion; model: string };

const METHOD_ROUTE = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;
const MODELS_ROUTE = /^\/(v1|v1beta|v1alpha)\/models\/?$/;
const MODEL_ROUTE = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+)$/;

/** Parses a request path (without query) into a route, or undefined for anything else. */
export function parseGeminiPath(pathname: string): GeminiRoute | undefined {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  let match = METHOD_ROUTE.exec(path);
  if (match) return { kind: 'method', version: match[1] as ApiVersion, model: match[2]!, method: match[3]! };
  match = MODELS_ROUTE.exec(path);
  if (match) return { kind: 'list-models', version: match[1] as ApiVersion };
  match = MODEL_ROUTE.exec(path);
  if (match) return { kind: 'get-model', version: match[1] as ApiVersion, model: match[2]! };
  return undefined;
}

/** "models/gemini-2.5-pro" and "gemini-2.5-pro" both name the model gemini-2.5-pro. */
export function bareModelName(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

/** The path of a model method, e.g. /v1beta/models/gemini-2.5-pro:generateContent. */
export function modelMethodPath(model: string, method: ModelMethod, version: ApiVersion = 'v1beta'): string {
  return `/${version}/models/${encodeURIComponent(bareModelName(model))}:${method}`;
}

/** The fully-qualified method name Google writes in errors, e.g. for the 404 and 403 messages. */
export function rpcMethodName(method: string, version: ApiVersion = 'v1beta'): string {
  const capitalised = method.charAt(0).toUpperCase() + method.slice(1);
  return `google.ai.generativelanguage.${version}.GenerativeService.${capitalised}`;
}
