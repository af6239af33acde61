// Embeddings: embedContent, batchEmbedContents and the vectors behind Google's OpenAI-compatible
// /embeddings. Vectors are deterministic (same model, task type and text → same vector), unit length
// at the model's full size; a smaller `outputDimensionality` truncates without re-normalising, as
// Google documents for gemini-embedding-001 (callers normalise truncated vectors themselves).
// Source: https://ai.google.dev/api/embeddings and https://ai.google.dev/gemini-api/docs/embeddings
import { createHash } from 'node:crypto';
import type { ApiVersion, Content } from '../../wire/index.js';
import { seededRandom } from '../../time/index.js';
import { bodies } from '../bodies.js';
import { countContentTokens } from '../tokens.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import { errorResponse, field, isObject, jsonResponse, readJson } from './http.js';

/** Embedding models the emulator serves, with their full vector size and input token limit. */
export const EMBEDDING_MODELS: Record<string, { dimension: number; inputTokenLimit: number; truncates: boolean }> = {
  'gemini-embedding-001': { dimension: 3072, inputTokenLimit: 2048, truncates: true },
  'text-embedding-004': { dimension: 768, inputTokenLimit: 2048, truncates: true },
  'embedding-001': { dimension: 768, inputTokenLimit: 2048, truncates: false },
};

/** Task types from the API reference (TaskType enum). */
export const TASK_TYPES = [
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
];

/** Google caps one batchEmbedContents call at 100 requests. */
export const MAX_BATCH_EMBED_REQUESTS = 100;

/** The deterministic vector for a text: unit length at `dimension`, then truncated to `size`. */
export function embeddingVector(model: string, taskType: string, text: string, dimension: number, size: number) {
  const digest = createHash('sha256').update(`${model}\u0000${taskType}\u0000${text}`).digest();
  const random = seededRandom(digest.readUInt32LE(0));
  const values = Array.from({ length: dimension }, () => random() * 2 - 1);
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.slice(0, size).map((value) => Math.round((value / norm) * 1e7) / 1e7);
}

function contentText(content: Content): string {
  return (content.parts ?? []).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

interface EmbedOutcome {
  values?: number[];
  error?: Response;
  tokens: number;
}

/** Checks one EmbedContentRequest and computes its vector. `prefix` names it in error texts. */
export function embedOne(model: string, request: unknown, prefix: string): EmbedOutcome {
  const facts = EMBEDDING_MODELS[model]!;
  if (!isObject(request))
    return { error: errorResponse(bodies.invalidArgument(`* ${prefix}: must be an object\n`)), tokens: 0 };
  const content = field(request, 'content');
  if (!isObject(content) || !Array.isArray(content.parts) || content.parts.length === 0) {
    return {
      error: errorResponse(bodies.invalidArgument(`* ${prefix}.content: content is not specified\n`)),
      tokens: 0,
    };
  }
  const taskType = field(request, 'taskType') ?? 'TASK_TYPE_UNSPECIFIED';
  if (typeof taskType !== 'string' || !TASK_TYPES.includes(taskType)) {
    return {
      error: errorResponse(
        bodies.invalidArgument(
          `Invalid value at '${prefix.replace(/^\w+\./, '')}.task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), "${typeof taskType === 'string' ? taskType : JSON.stringify(taskType)}"`,
        ),
      ),
      tokens: 0,
    };
  }
  const asked = field(request, 'outputDimensionality');
  let size = facts.dimension;
  if (asked !== undefined && asked !== null) {
    if (
      typeof asked !== 'number' ||
      !Number.isInteger(asked) ||
      asked <= 0 ||
      asked > facts.dimension ||
      !facts.truncates
    ) {
      const reason = facts.truncates
        ? `output_dimensionality must be between 1 and ${facts.dimension}`
        : 'output_dimensionality is not supported for this model';
      return {
        error: errorResponse(bodies.invalidArgument(`* ${prefix}.output_dimensionality: ${reason}\n`)),
        tokens: 0,
      };
    }
    size = asked;
  }
  const tokens = countContentTokens([content as unknown as Content]);
  if (tokens > facts.inputTokenLimit) {
    return { error: errorResponse(bodies.inputTooLarge(tokens, facts.inputTokenLimit)), tokens };
  }
  return {
    values: embeddingVector(model, taskType, contentText(content as unknown as Content), facts.dimension, size),
    tokens,
  };
}

/**
 * Faults and quotas for an embedding call, as for generation: the fault plan first, then the
 * per-(project, model) ledger with the limits configured under `models[name]`.
 */
export function gateEmbedding(
  context: ResourceContext,
  caller: ResourceCaller,
  model: string,
  tokens: number,
  text: string,
): Response | undefined {
  const { state } = context;
  const now = context.now();
  const picked = state.faults.select({ model, key: caller.key.key, project: caller.key.project, prompt: text }, now);
  if (picked.before)
    return errorResponse(bodies.forStatus(picked.before.fault.status!, Math.floor(state.variant() * 3)));
  const limits = state.config.models?.[model] ?? {};
  const refusal = state.ledger.admit(caller.key.project, model, tokens, limits, now);
  if (refusal)
    return errorResponse(bodies.quota(refusal.window, caller.key.tier, model, refusal.limit, refusal.retryAfterMs));
  return undefined;
}

function requestText(request: unknown): string {
  const content = isObject(request) ? field(request, 'content') : undefined;
  return isObject(content) ? contentText(content as unknown as Content) : '';
}

/** POST /{version}/models/{model}:embedContent and :batchEmbedContents. */
export async function handleEmbedding(
  context: ResourceContext,
  caller: ResourceCaller,
  request: Request,
  version: ApiVersion,
  model: string,
  method: 'embedContent' | 'batchEmbedContents',
): Promise<Response> {
  if (!EMBEDDING_MODELS[model]) return errorResponse(bodies.modelNotFound(model, version, method));
  const parsed = await readJson(request);
  if ('error' in parsed) return parsed.error;
  const body = parsed.value;

  if (method === 'embedContent') {
    const outcome = embedOne(model, body, 'EmbedContentRequest');
    if (outcome.error) return outcome.error;
    const refused = gateEmbedding(context, caller, model, outcome.tokens, requestText(body));
    if (refused) return refused;
    return jsonResponse({ embedding: { values: outcome.values } });
  }

  const requests = body.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return errorResponse(bodies.invalidArgument('* BatchEmbedContentsRequest.requests: requests is not specified\n'));
  }
  if (requests.length > MAX_BATCH_EMBED_REQUESTS) {
    return errorResponse(
      bodies.invalidArgument(
        `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH_EMBED_REQUESTS} requests can be in one batch\n`,
      ),
    );
  }
  const embeddings: Array<{ values: number[] }> = [];
  let tokens = 0;
  for (const [index, item] of requests.entries()) {
    const named = isObject(item) ? item.model : undefined;
    if (typeof named === 'string' && named.replace(/^models\//, '') !== model) {
      return errorResponse(
        bodies.invalidArgument(
          `* BatchEmbedContentsRequest.requests[${index}].model: the model of every request must be the model in the URL (models/${model})\n`,
        ),
      );
    }
    const outcome = embedOne(model, item, `BatchEmbedContentsRequest.requests[${index}]`);
    if (outcome.error) return outcome.error;
    embeddings.push({ values: outcome.values! });
    tokens += outcome.tokens;
  }
  const refused = gateEmbedding(context, caller, model, tokens, requests.map(requestText).join('\n'));
  if (refused) return refused;
  return jsonResponse({ embeddings });
}
