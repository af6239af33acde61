// Edits to the chunks of a repaired stream so that the client sees one answer: the splice's text
// in place of the attempt's, one responseId, usage summed over every attempt (what was billed),
// and citation and grounding offsets moved to where their text now stands.
import type { Candidate, GenerateContentResponse, Part, UsageMetadata } from '../../wire/index.js';

const USAGE_FIELDS = [
  'promptTokenCount',
  'candidatesTokenCount',
  'totalTokenCount',
  'thoughtsTokenCount',
  'cachedContentTokenCount',
  'toolUsePromptTokenCount',
] as const satisfies ReadonlyArray<keyof UsageMetadata>;

/** Field by field sum of token counts (fields absent from both stay absent). */
export function addUsage(a: UsageMetadata | undefined, b: UsageMetadata | undefined): UsageMetadata | undefined {
  if (!a) return b;
  if (!b) return a;
  const sum: UsageMetadata = { ...a, ...b };
  for (const field of USAGE_FIELDS) {
    if (a[field] !== undefined || b[field] !== undefined) sum[field] = (a[field] ?? 0) + (b[field] ?? 0);
  }
  return sum;
}

/** Whether any part of candidate 0 in this chunk is a function call. */
export function hasFunctionCall(chunk: GenerateContentResponse): boolean {
  return (chunk.candidates?.[0]?.content?.parts ?? []).some((part) => part.functionCall !== undefined);
}

/**
 * Candidate 0 of `chunk` with its answer text replaced by `text` (one text part where the first
 * text part was, keeping its thoughtSignature), thought parts kept or dropped.
 */
export function withAnswerText(
  chunk: GenerateContentResponse,
  text: string,
  options: { dropThoughts: boolean },
): GenerateContentResponse {
  const candidate = chunk.candidates?.[0];
  if (!candidate) return chunk;
  const parts: Part[] = [];
  let placed = false;
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought) {
      if (!options.dropThoughts) parts.push(part);
      continue;
    }
    if (typeof part.text === 'string') {
      if (!placed && text.length > 0) parts.push({ ...part, text });
      placed = true;
      continue;
    }
    parts.push(part);
  }
  const content = candidate.content ? { ...candidate.content, parts } : undefined;
  const edited: Candidate = { ...candidate, ...(content ? { content } : {}) };
  return { ...chunk, candidates: [edited, ...(chunk.candidates?.slice(1) ?? [])] };
}

/** Whether a chunk still says something once its text is gone (finish, usage, metadata, parts). */
export function carriesMore(chunk: GenerateContentResponse): boolean {
  const candidate = chunk.candidates?.[0];
  return Boolean(
    chunk.usageMetadata ||
    chunk.promptFeedback ||
    candidate?.finishReason ||
    candidate?.citationMetadata ||
    candidate?.groundingMetadata ||
    (candidate?.content?.parts?.length ?? 0) > 0,
  );
}

/**
 * Moves byte offsets of citations and grounding supports from an attempt's own text to the
 * repaired answer: an offset `i` in the attempt becomes `base + i - cut`, where `cut` is how many
 * bytes of the attempt's text were dropped (its replay, overlap or preamble) and `base` the bytes
 * the client already had. Spans that start inside the dropped part are removed. Gemini counts
 * these offsets in bytes of UTF-8 (Gemini API reference: CitationSource, Segment).
 */
export function shiftOffsets(chunk: GenerateContentResponse, base: number, cut: number): GenerateContentResponse {
  const candidate = chunk.candidates?.[0];
  if (!candidate || (base === cut && base === 0)) return chunk;
  const move = (index: unknown): number | undefined =>
    typeof index === 'number' && index >= cut ? base + index - cut : undefined;
  const edited: Candidate = { ...candidate };
  const citations = candidate.citationMetadata as { citationSources?: Array<Record<string, unknown>> } | undefined;
  if (citations?.citationSources) {
    edited.citationMetadata = {
      ...citations,
      citationSources: citations.citationSources.flatMap((source) => {
        const start = move(source.startIndex ?? 0);
        if (start === undefined) return [];
        const end = move(source.endIndex);
        return [{ ...source, startIndex: start, ...(end !== undefined ? { endIndex: end } : {}) }];
      }),
    };
  }
  const grounding = candidate.groundingMetadata as { groundingSupports?: Array<Record<string, unknown>> } | undefined;
  if (grounding?.groundingSupports) {
    edited.groundingMetadata = {
      ...grounding,
      groundingSupports: grounding.groundingSupports.flatMap((support) => {
        const segment = (support.segment ?? {}) as Record<string, unknown>;
        const start = move(segment.startIndex ?? 0);
        if (start === undefined) return [];
        const end = move(segment.endIndex);
        return [
          { ...support, segment: { ...segment, startIndex: start, ...(end !== undefined ? { endIndex: end } : {}) } },
        ];
      }),
    };
  }
  return { ...chunk, candidates: [edited, ...(chunk.candidates?.slice(1) ?? [])] };
}

/** UTF-8 length of a string, in bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
