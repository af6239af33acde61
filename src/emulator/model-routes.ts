// The models resource of the Gemini API: list, get, and the model methods (generateContent,
// streamGenerateContent, countTokens), as routes of the emulator's table.
// Paths: https://ai.google.dev/api/models and https://ai.google.dev/api/generate-content
import { bareModelName, MODEL_METHODS, type ApiVersion, type ModelInfo } from '../wire/index.js';
import { bodies } from './bodies.js';
import { handleMethod, type Outcome } from './handle-generate.js';
import { EMBEDDING_MODELS } from './resources/embeddings.js';
import { errorResponse, jsonResponse } from './respond.js';
import type { EmulatorRoute, RouteContext } from './router.js';
import { streamChunks, streamResponse } from './stream-answer.js';

const VERSION = '(?<version>v1|v1beta|v1alpha)';
const MODEL = '(?<model>[^/:]+)';

/** Sleeps on the emulator's clock; false when the client went away first. */
async function pause(context: RouteContext, ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await context.clock.sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** One place where a method's outcome becomes a Response: an error, JSON, or a paced stream. */
async function respond(
  outcome: Outcome,
  method: string,
  request: Request,
  context: RouteContext,
  sse: boolean,
): Promise<Response> {
  const { state } = context;
  let finished = false;
  const onAbort = () => {
    if (!finished) state.counters.clientAborts++;
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  const settle = () => {
    finished = true;
    request.signal.removeEventListener('abort', onAbort);
  };
  if (outcome.type !== 'answer' || method !== 'streamGenerateContent') {
    const delayMs =
      outcome.type === 'answer'
        ? outcome.firstTokenMs + outcome.perTokenMs * outcome.outputTokens
        : (outcome.delayMs ?? 0);
    await pause(context, delayMs, request.signal);
    settle();
    if (outcome.type === 'error') return errorResponse(outcome.error);
    return jsonResponse(outcome.body);
  }
  const chunks = streamChunks(outcome.body, state.chunkingFor(outcome.body.modelVersion));
  const afterChunks = outcome.break?.afterChunks ?? Math.max(1, Math.min(2, chunks.length - 1));
  return streamResponse(
    {
      chunks,
      sse,
      firstTokenMs: outcome.firstTokenMs,
      perChunkMs: (outcome.perTokenMs * outcome.outputTokens) / Math.max(1, chunks.length),
      ...(outcome.break ? { break: { ...outcome.break, afterChunks } } : {}),
    },
    {
      sleep: (ms) => context.clock.sleep(ms, request.signal),
      onBreak: () => {
        state.counters.midStreamErrors++;
      },
      onEnd: settle,
    },
  );
}

/**
 * The embedding models as models.list and models.get show them, so an SDK that looks a model up
 * before embedding (or lists the models that support embedContent) finds them. Methods and limits
 * as Google lists them (https://ai.google.dev/api/models); the output limit of an embedding model is 1.
 */
const EMBEDDING_INFOS: ModelInfo[] = Object.entries(EMBEDDING_MODELS).map(([name, facts]) => ({
  name: `models/${name}`,
  version: '001',
  displayName: name === 'gemini-embedding-001' ? 'Gemini Embedding 001' : displayName(name),
  description: `${name} (emulated embedding model, ${facts.dimension} dimensions)`,
  inputTokenLimit: facts.inputTokenLimit,
  outputTokenLimit: 1,
  supportedGenerationMethods:
    name === 'gemini-embedding-001'
      ? ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent']
      : ['embedContent'],
}));

function displayName(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

async function listModels(_request: Request, context: RouteContext): Promise<Response> {
  return jsonResponse({
    models: [...[...context.state.models.values()].map((model) => model.info), ...EMBEDDING_INFOS],
  });
}

async function getModel(_request: Request, context: RouteContext): Promise<Response> {
  const name = bareModelName(context.params.model!);
  const model = context.state.models.get(name)?.info ?? EMBEDDING_INFOS.find((info) => info.name === `models/${name}`);
  return model
    ? jsonResponse(model)
    : errorResponse(bodies.modelResourceNotFound(name, context.params.version as ApiVersion));
}

async function modelMethod(request: Request, context: RouteContext): Promise<Response> {
  const { state, params } = context;
  const version = params.version as ApiVersion;
  const method = params.method!;
  if (!(MODEL_METHODS as readonly string[]).includes(method)) return errorResponse(bodies.methodNotFound());
  const name = bareModelName(params.model!);
  const model = state.models.get(name);
  if (!model) return errorResponse(bodies.modelNotFound(name, version, method));
  const allowed = state.config.models?.[name]?.projects;
  if (allowed && !allowed.includes(context.key!.project)) return errorResponse(bodies.callerNoPermission());
  const bodyText = await context.bodyText();
  const timeout = Number(request.headers.get('x-server-timeout'));
  const outcome = handleMethod({
    state,
    model,
    method,
    version,
    key: context.key!,
    bodyText,
    receivedAt: context.receivedAt,
    ...(Number.isFinite(timeout) && timeout > 0 ? { serverTimeoutSeconds: timeout } : {}),
  });
  return respond(outcome, method, request, context, context.url.searchParams.get('alt') === 'sse');
}

/**
 * Tuned models: the emulator tunes none, so every tuned model is another project's, and Google
 * answers those with a 403 naming it (get and every method alike).
 */
async function tunedModel(_request: Request, context: RouteContext): Promise<Response> {
  return errorResponse(bodies.tunedModelForbidden(context.params.id!));
}

/** The Gemini models routes. */
export const MODEL_ROUTES: readonly EmulatorRoute[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/${VERSION}/tunedModels/(?<id>[^/:]+)$`),
    auth: 'key',
    rpcMethod: () => 'getTunedModel',
    handle: tunedModel,
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/${VERSION}/tunedModels/(?<id>[^/:]+):(?<method>[A-Za-z]+)$`),
    auth: 'key',
    rpcMethod: (params) => params.method!,
    handle: tunedModel,
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/${VERSION}/models/?$`),
    auth: 'key',
    rpcMethod: () => 'listModels',
    handle: listModels,
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/${VERSION}/models/${MODEL}$`),
    auth: 'key',
    rpcMethod: () => 'getModel',
    model: (params) => params.model,
    handle: getModel,
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/${VERSION}/models/${MODEL}:(?<method>[A-Za-z]+)$`),
    auth: 'key',
    model: (params) => params.model,
    handle: modelMethod,
  },
];
