// The emulator's resource surface: embeddings, the Files API, cachedContents, Batch Mode, Google's
// OpenAI-compatible layer, references to files and caches inside generate requests, and (with
// ./live.ts) Live sessions. One Fetch-style handler that answers what it serves and returns
// undefined for everything else, so the emulator's router tries it first with one line.
import { parseGeminiPath, bareModelName, type ApiVersion } from '../../wire/index.js';
import { bodies } from '../bodies.js';
import type { EmulatorState, KeyRecord } from '../state.js';
import { BatchStore } from './batches.js';
import { CacheStore } from './cached-contents.js';
import { ResourceContext, type ResourceCaller, type ResourceStats } from './context.js';
import { EMBEDDING_MODELS, handleEmbedding } from './embeddings.js';
import { FileStore } from './files.js';
import { errorResponse, jsonResponse } from './http.js';
import { OpenAiCompat, openAiError } from './openai-compat.js';
import { answerWithReferences } from './references.js';

export type { ResourceStats } from './context.js';
export { EMBEDDING_MODELS, embeddingVector } from './embeddings.js';
export { attachLiveSessions, LIVE_PATH_PATTERN } from './live.js';

const VERSIONED = /^\/(?:(upload|download)\/)?(v1|v1beta|v1alpha)\/(.*)$/;

/** The emulator's resource handler (see the file header). */
export interface EmulatorResources {
  /** Answers a resource request, or returns undefined when the path is not a resource path. */
  handle(request: Request): Promise<Response | undefined>;
  /**
   * For a generate-style call whose key the router already checked: answers it when it cites a
   * file or a cache (Google's 403 when the caller's project cannot see one), else undefined.
   */
  answerCitations(request: Request, key: KeyRecord, bodyText: string, model: string): Promise<Response | undefined>;
  /** Calls per project and per resource (also served at GET /_emulator/resources). */
  stats(): ResourceStats;
  reset(): void;
}

/** The API key of a request: x-goog-api-key, then ?key=, then a Bearer token (OpenAI clients). */
export function requestApiKey(request: Request, url: URL): string | undefined {
  const header = request.headers.get('x-goog-api-key');
  if (header) return header;
  const query = url.searchParams.get('key');
  if (query) return query;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]?.trim();
  return bearer || undefined;
}

/**
 * Creates the resource handler over the emulator's state. `dispatch` is the emulator's own handler:
 * batches, caches and the OpenAI layer call the generate route through it.
 */
export function createEmulatorResources(
  state: EmulatorState,
  dispatch: (request: Request) => Promise<Response>,
): EmulatorResources {
  const context = new ResourceContext(state, dispatch);
  let files = new FileStore(context);
  let caches = new CacheStore(context, files);
  let batches = new BatchStore(context, files);
  let openAi = new OpenAiCompat(context);

  function authenticate(request: Request, url: URL): ResourceCaller | Response {
    const apiKey = requestApiKey(request, url);
    if (!apiKey) return errorResponse(bodies.noKey());
    const key = state.lookupKey(apiKey);
    if (!key || key.state === 'invalid') return errorResponse(bodies.keyInvalid(false));
    if (key.state === 'expired') return errorResponse(bodies.keyInvalid(true));
    if (key.state === 'suspended') return errorResponse(bodies.suspended(key.key, key.project));
    if (key.state === 'service_disabled') return errorResponse(bodies.serviceDisabled(key.project));
    if (key.state === 'location_unsupported') return errorResponse(bodies.locationUnsupported());
    context.countCall(key.project);
    state.counters.byProject[key.project] = (state.counters.byProject[key.project] ?? 0) + 1;
    return { key };
  }

  async function route(request: Request, url: URL): Promise<Response | undefined> {
    if (url.pathname === '/_emulator/resources' && request.method === 'GET') return jsonResponse(context.snapshot());
    const match = VERSIONED.exec(url.pathname);
    if (!match) return undefined;
    const [, prefix, versionText, rest = ''] = match;
    const version = versionText as ApiVersion;

    // Upload chunks carry their own credential (the upload id); everything else needs a key.
    if (prefix === 'upload' && url.searchParams.has('upload_id')) {
      return files.upload({ key: { key: '', project: '', tier: 'free', state: 'active' } }, request, url, version);
    }

    const isOpenAi = rest === 'openai' || rest.startsWith('openai/');
    const isFiles = rest === 'files' || rest.startsWith('files/');
    const isCaches = rest === 'cachedContents' || rest.startsWith('cachedContents/');
    const isBatches = rest === 'batches' || rest.startsWith('batches/');
    const modelRoute = prefix ? undefined : parseGeminiPath(url.pathname);
    const modelMethod = modelRoute?.kind === 'method' ? modelRoute.method : undefined;
    const isModelResource =
      modelMethod === 'embedContent' ||
      modelMethod === 'batchEmbedContents' ||
      modelMethod === 'batchGenerateContent' ||
      modelMethod === 'asyncBatchEmbedContent';
    if (!isOpenAi && !isFiles && !isCaches && !isBatches && !isModelResource && !prefix) return undefined;

    const caller = authenticate(request, url);
    if (caller instanceof Response) return isOpenAi ? openAiError(caller) : caller;

    if (isOpenAi) return openAi.handle(caller, request, url, version, rest.replace(/^openai\/?/, ''));
    if (prefix === 'upload') {
      if (rest !== 'files' || request.method !== 'POST') return errorResponse(bodies.methodNotFound());
      return files.upload(caller, request, url, version);
    }
    if (isFiles) return files.handle(caller, request, url, rest.replace(/^files\/?/, ''));
    if (prefix === 'download') return errorResponse(bodies.methodNotFound());
    if (isCaches) return caches.handle(caller, request, url, version, rest.replace(/^cachedContents\/?/, ''));
    if (isBatches) return batches.handle(caller, request, url, rest.replace(/^batches\/?/, ''));
    if (modelRoute?.kind !== 'method' || request.method !== 'POST') return undefined;
    const model = bareModelName(modelRoute.model);
    if (modelMethod === 'embedContent' || modelMethod === 'batchEmbedContents') {
      return handleEmbedding(
        context,
        caller,
        request,
        version,
        model,
        modelMethod as 'embedContent' | 'batchEmbedContents',
      );
    }
    if (modelMethod === 'asyncBatchEmbedContent')
      return batches.create(caller, request, version, model, 'embed', EMBEDDING_MODELS[model] !== undefined);
    return batches.create(caller, request, version, model);
  }

  return {
    async handle(request) {
      return route(request, new URL(request.url));
    },
    answerCitations(request, key, bodyText, model) {
      return answerWithReferences(context, files, caches, { key }, request, bodyText, model);
    },
    stats: () => context.snapshot(),
    reset() {
      context.resetStats();
      files = new FileStore(context);
      caches = new CacheStore(context, files);
      batches = new BatchStore(context, files);
      openAi = new OpenAiCompat(context);
    },
  };
}
