// POST /v1/embeddings on top of Gemini's batchEmbedContents
// (ai.google.dev/api/embeddings#method:-models.batchembedcontents). One model per request, never a
// fallback to another: vectors of different embedding models live in different spaces and must
// not be mixed in one index.
import { z } from 'zod';
import type { BatchEmbedContentsAnswer, BatchEmbedContentsBody } from '../../client/index.js';
import { TranslationError } from './translation-error.js';
import type { EmbeddingList } from './types.js';

/** Gemini takes at most 100 requests in one batchEmbedContents call. */
export const GEMINI_EMBED_BATCH = 100;
/** OpenAI's own limit on inputs per request. */
const MAX_INPUTS = 2048;

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1, 'model is required'),
    input: z.union([z.string(), z.array(z.unknown())]),
    dimensions: z.number().int().positive().nullish(),
    encoding_format: z.enum(['float', 'base64']).nullish(),
    /** Accepted and ignored: Gemini has no per-end-user field. */
    user: z.string().nullish(),
  })
  .passthrough();

export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

/** The texts to embed. Token arrays (OpenAI's tokenizer ids) mean nothing to Gemini: refused. */
export function embeddingInputs(request: EmbeddingsRequest): string[] {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  if (inputs.length === 0) throw new TranslationError('input must not be empty', 'input');
  if (inputs.length > MAX_INPUTS)
    throw new TranslationError(`input has ${inputs.length} items; at most ${MAX_INPUTS} are allowed`, 'input');
  return inputs.map((input, index) => {
    if (typeof input !== 'string')
      throw new TranslationError(
        `input[${index}]: only text can be embedded here (token id arrays belong to OpenAI's tokenizer)`,
        'input',
      );
    if (input.length === 0) throw new TranslationError(`input[${index}]: must not be an empty string`, 'input');
    return input;
  });
}

/** The batchEmbedContents bodies for `texts`, at most GEMINI_EMBED_BATCH requests each. */
export function toBatchEmbedRequests(
  model: string,
  texts: string[],
  dimensions?: number | null,
): BatchEmbedContentsBody[] {
  const batches: BatchEmbedContentsBody[] = [];
  for (let start = 0; start < texts.length; start += GEMINI_EMBED_BATCH) {
    batches.push({
      requests: texts.slice(start, start + GEMINI_EMBED_BATCH).map((text) => ({
        model: `models/${model}`,
        content: { parts: [{ text }] },
        ...(dimensions != null ? { outputDimensionality: dimensions } : {}),
      })),
    });
  }
  return batches;
}

/** Float vector → base64 of its little-endian float32 bytes (OpenAI's `encoding_format: "base64"`). */
export function vectorToBase64(values: readonly number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer.toString('base64');
}

/**
 * The OpenAI list for the answers of every batch, in input order. `usage` counts what Gemini
 * reported (0 when it reports nothing: we do not guess token counts).
 */
export function toEmbeddingList(
  model: string,
  answers: BatchEmbedContentsAnswer[],
  expected: number,
  format: 'float' | 'base64',
): EmbeddingList {
  const vectors = answers.flatMap((answer) => answer.embeddings ?? []);
  if (vectors.length !== expected)
    throw new Error(`batchEmbedContents returned ${vectors.length} embeddings for ${expected} inputs`);
  const tokens = answers.reduce((sum, answer) => sum + (answer.usageMetadata?.promptTokenCount ?? 0), 0);
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'base64' ? vectorToBase64(vector.values ?? []) : (vector.values ?? []),
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
