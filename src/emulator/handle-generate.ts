// generateContent, streamGenerateContent and countTokens: validation, faults, quotas, deadlines and
// deterministic answers, written to the socket the way Gemini writes them.
import {
  normaliseFieldNames,
  validateRequestShape,
  type ApiVersion,
  type CountTokensRequest,
  type GenerateContentRequest,
  type GenerateContentResponse,
} from '../wire/index.js';
import { hashText, promptText } from './answers.js';
import { composeAnswer } from './compose-answer.js';
import { missingSignature, MODEL_TURN_REJECTED, prefillOf } from './turn-checks.js';
import { bodies, type EmulatedError } from './bodies.js';
import type { EmulatedModel } from './models.js';
import type { EmulatorState, KeyRecord } from './state.js';
import { fieldValueViolations, rangeProblem } from './request-checks.js';
import type { StreamBreakKind } from './stream-answer.js';
import { countRequestTokens } from './tokens.js';

/** What a model method decided; the route turns it into a Response (JSON or a stream). */
export type Outcome =
  | { type: 'error'; error: EmulatedError; delayMs?: number }
  | { type: 'json'; body: unknown; delayMs?: number }
  | {
      type: 'answer';
      /** The whole answer; streamed, it is cut into chunks by `streamChunks`. */
      body: GenerateContentResponse;
      firstTokenMs: number;
      /** Milliseconds per output token after the first. */
      perTokenMs: number;
      outputTokens: number;
      /** A planned mid-stream failure (streams only). */
      break?: { kind: StreamBreakKind; afterChunks?: number; error?: EmulatedError };
    };

export interface MethodCall {
  state: EmulatorState;
  model: EmulatedModel;
  method: string;
  version: ApiVersion;
  key: KeyRecord;
  bodyText: string;
  /** When the request arrived (emulator clock, ms); defaults to now. */
  receivedAt?: number;
  /** Seconds from the X-Server-Timeout header. */
  serverTimeoutSeconds?: number;
}

const VALID_ROLES = new Set(['user', 'model', 'function', 'system']);

function parseBody(text: string): { value?: unknown; error?: EmulatedError } {
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) };
  } catch (failure) {
    const position = Number(/position (\d+)/.exec(String(failure))?.[1] ?? text.length);
    const lineStart = text.lastIndexOf('\n', position - 1) + 1;
    const lineEnd = text.indexOf('\n', position);
    const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).slice(0, 200);
    return { error: bodies.invalidJson(line, Math.min(position - lineStart, 200)) };
  }
}

function checkContents(request: GenerateContentRequest, prefix: string): EmulatedError | undefined {
  if (!Array.isArray(request.contents) || request.contents.length === 0) {
    return bodies.invalidArgument(`* ${prefix}.contents: contents is not specified\n`);
  }
  for (const [index, content] of request.contents.entries()) {
    if (content.role !== undefined && content.role !== '' && !VALID_ROLES.has(content.role)) {
      return bodies.invalidArgument('Please use a valid role: user, model.');
    }
    if (!Array.isArray(content.parts) || content.parts.length === 0) {
      return bodies.invalidArgument(`* ${prefix}.contents[${index}].parts: contents.parts must not be empty.\n`);
    }
  }
  return undefined;
}

export function handleMethod(call: MethodCall): Outcome {
  const { state, model, method, key } = call;
  const parsed = parseBody(call.bodyText);
  if (parsed.error) return { type: 'error', error: parsed.error };
  const shape = method === 'countTokens' ? 'CountTokensRequest' : 'GenerateContentRequest';
  const violations = validateRequestShape(parsed.value, shape);
  if (violations.length > 0) return { type: 'error', error: bodies.fieldViolations(violations) };

  if (method === 'countTokens') {
    const request = normaliseFieldNames(parsed.value as CountTokensRequest, 'CountTokensRequest');
    const inner = request.generateContentRequest ?? { contents: request.contents ?? [] };
    const countViolations = fieldValueViolations(
      inner,
      request.generateContentRequest ? 'generate_content_request.' : '',
    );
    if (countViolations.length > 0) return { type: 'error', error: bodies.fieldViolations(countViolations) };
    const problem = checkContents(
      inner,
      request.generateContentRequest ? 'CountTokensRequest.generate_content_request' : 'CountTokensRequest',
    );
    if (problem) return { type: 'error', error: problem };
    const totalTokens = countRequestTokens(inner);
    return {
      type: 'json',
      body: { totalTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: totalTokens }] },
    };
  }

  const request = normaliseFieldNames(parsed.value as GenerateContentRequest, 'GenerateContentRequest');
  const valueViolations = fieldValueViolations(request);
  if (valueViolations.length > 0) return { type: 'error', error: bodies.fieldViolations(valueViolations) };
  const problem = checkContents(request, 'GenerateContentRequest');
  if (problem) return { type: 'error', error: problem };
  const outOfRange = rangeProblem(request, model.thinkingRange);
  if (outOfRange) return { type: 'error', error: bodies.invalidArgument(outOfRange) };
  const unsigned = model.signsFunctionCalls ? missingSignature(request) : undefined;
  if (unsigned) return { type: 'error', error: bodies.invalidArgument(unsigned) };
  if (model.continuation === 'reject' && prefillOf(request) !== undefined)
    return { type: 'error', error: bodies.invalidArgument(MODEL_TURN_REJECTED) };
  const promptTokens = countRequestTokens(request);
  if (promptTokens > model.inputTokenLimit)
    return { type: 'error', error: bodies.inputTooLarge(promptTokens, model.inputTokenLimit) };

  const now = call.receivedAt ?? state.clock.now();
  const picked = state.faults.select(
    { model: model.name, key: key.key, project: key.project, prompt: promptText(request) },
    now,
  );
  if (picked.before) {
    return {
      type: 'error',
      error: bodies.forStatus(picked.before.fault.status!, Math.floor(state.variant() * 3)),
      delayMs: picked.latencyMs,
    };
  }
  if (model.internalErrorAboveTokens !== undefined && promptTokens > model.internalErrorAboveTokens) {
    return { type: 'error', error: bodies.internal(), delayMs: picked.latencyMs };
  }

  const refusal = state.ledger.admit(
    key.project,
    model.name,
    promptTokens,
    { rpm: model.rpm, tpm: model.tpm, rpd: model.rpd },
    now,
  );
  if (refusal) {
    const extra = refusal.limit === 0 && refusal.window === 'rpd' ? (['rpm'] as const) : [];
    return {
      type: 'error',
      error: bodies.quota(refusal.window, key.tier, model.name, refusal.limit, refusal.retryAfterMs, [...extra]),
      delayMs: picked.latencyMs,
    };
  }

  // The answer.
  const seed = state.config.seed ?? 1;
  const maxOutput = Math.min(
    // proto3: 0 is the same as unset, which means the model's own limit.
    Number(request.generationConfig?.maxOutputTokens ?? 0) || model.outputTokenLimit,
    model.outputTokenLimit,
  );
  const responseId = hashText(`${model.name}\n${promptText(request)}\n${now}`, seed).toString(36);
  const composed = composeAnswer(request, model, seed, maxOutput, `call_${responseId}`);
  const usageMetadata = {
    promptTokenCount: promptTokens,
    ...composed.usageMetadata,
    totalTokenCount: promptTokens + composed.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
  };
  const latency = model.latency ?? state.config.latency;
  const firstTokenMs = (latency?.firstTokenMs ?? 0) + picked.latencyMs;
  const perTokenMs = latency?.perTokenMs ?? 0;
  const totalMs = firstTokenMs + perTokenMs * composed.outputTokens;

  if (call.serverTimeoutSeconds !== undefined && totalMs > call.serverTimeoutSeconds * 1000) {
    return { type: 'error', error: bodies.deadline(), delayMs: call.serverTimeoutSeconds * 1000 };
  }

  const body: GenerateContentResponse = picked.answer
    ? stoppedAnswer(picked.answer.fault, usageMetadata, model.name, responseId)
    : { candidates: composed.candidates, usageMetadata, modelVersion: model.name, responseId };
  const breakFault = picked.answer ? undefined : picked.midStream?.fault;
  return {
    type: 'answer',
    body,
    firstTokenMs,
    perTokenMs,
    outputTokens: composed.outputTokens,
    ...(breakFault
      ? {
          break: {
            kind: breakFault.breakAs ?? 'error',
            ...(breakFault.breakAfterChunks !== undefined ? { afterChunks: breakFault.breakAfterChunks } : {}),
            ...(breakFault.status !== undefined
              ? { error: bodies.forStatus(breakFault.status, Math.floor(state.variant() * 3)) }
              : {}),
          },
        }
      : {}),
  };
}

const SAFETY_CATEGORIES = [
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
];

/** A 200 answer withheld by a filter or cut by the token limit, as a fault asks. */
function stoppedAnswer(
  fault: { finishReason?: string | undefined; blockReason?: string | undefined },
  usage: GenerateContentResponse['usageMetadata'],
  model: string,
  responseId: string,
): GenerateContentResponse {
  const ratings = (blocked: boolean) =>
    SAFETY_CATEGORIES.map((category, index) => ({
      category,
      probability: blocked && index === SAFETY_CATEGORIES.length - 1 ? 'HIGH' : 'NEGLIGIBLE',
      ...(blocked && index === SAFETY_CATEGORIES.length - 1 ? { blocked: true } : {}),
    }));
  if (fault.blockReason) {
    return {
      promptFeedback: { blockReason: fault.blockReason, safetyRatings: ratings(fault.blockReason === 'SAFETY') },
      usageMetadata: { promptTokenCount: usage?.promptTokenCount ?? 0, totalTokenCount: usage?.promptTokenCount ?? 0 },
      modelVersion: model,
      responseId,
    };
  }
  const reason = fault.finishReason ?? 'SAFETY';
  const candidate =
    reason === 'MAX_TOKENS'
      ? { content: { role: 'model', parts: [] }, finishReason: reason, index: 0 }
      : {
          finishReason: reason,
          index: 0,
          ...(reason === 'SAFETY' ? { safetyRatings: ratings(true) } : {}),
          // Gemini explains a malformed call in finishMessage (the model's own unparseable call text).
          ...(reason === 'MALFORMED_FUNCTION_CALL'
            ? { finishMessage: 'Malformed function call: print(default_api.lookup(query="))' }
            : {}),
        };
  const output = reason === 'MAX_TOKENS' ? 0 : 1;
  return {
    candidates: [candidate],
    usageMetadata: {
      promptTokenCount: usage?.promptTokenCount ?? 0,
      candidatesTokenCount: output,
      totalTokenCount: (usage?.promptTokenCount ?? 0) + output,
    },
    modelVersion: model,
    responseId,
  };
}
