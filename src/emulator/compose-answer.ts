// A successful answer's candidates and usage, as the Gemini API shapes them:
// - thinking: models that think spend thinking tokens out of maxOutputTokens (so a small limit ends
//   in MAX_TOKENS with no text), report them as `thoughtsTokenCount`, and return a thought summary
//   part (`thought: true`) when `thinkingConfig.includeThoughts` is set
//   (https://ai.google.dev/gemini-api/docs/thinking);
// - Gemini 3 models sign function calls (`thoughtSignature` on the first call of a step)
//   (https://ai.google.dev/gemini-api/docs/thought-signatures);
// - `candidateCount` candidates, each with its `index`;
// - `groundingMetadata` when the googleSearch tool is given (https://ai.google.dev/gemini-api/docs/google-search);
// - `logprobsResult` and `avgLogprobs` when `responseLogprobs` is set (https://ai.google.dev/api/generate-content);
// - a request ending with a partial model answer is continued the way the model's `continuation` says.
import type { Candidate, Content, GenerateContentRequest, Part, UsageMetadata } from '../wire/index.js';
import { answerText, functionCallFor, generatedWords, hashText, promptText } from './answers.js';
import { EMULATOR_DEFAULTS, type Continuation } from './config.js';
import type { EmulatedModel } from './models.js';
import { countTextTokens } from './tokens.js';
import { prefillOf, withoutPrefill } from './turn-checks.js';

export interface ComposedAnswer {
  candidates: Candidate[];
  usageMetadata: UsageMetadata;
  /** Tokens the model wrote (answer and thinking), for pacing the answer. */
  outputTokens: number;
}

/** A stable base64 signature for a call, opaque as Google's are. */
function signatureFor(text: string, seed: number): string {
  const words = [hashText(text, seed), hashText(text, seed + 1), hashText(text, seed + 2), hashText(text, seed + 3)];
  return Buffer.from(words.map((word) => word.toString(16).padStart(8, '0')).join(''), 'hex').toString('base64');
}

/** The text after a partial answer, continued the way `mode` says. */
export function continueAnswer(whole: string, prefill: string, mode: Continuation): string {
  const rest = whole.startsWith(prefill) ? whole.slice(prefill.length) : whole;
  switch (mode) {
    case 'restart':
      return whole;
    case 'overlap': {
      const tail = /(?:\S+\s*){1,3}$/.exec(prefill)?.[0] ?? '';
      return tail + rest;
    }
    case 'preamble':
      return `Continuing from where the answer stopped:\n\n${rest}`;
    case 'drift':
      // Same length of answer, one word different: reassembly must not assume the remainder is exact.
      return rest.replace(/[A-Za-z]+/, (word) => (word.toLowerCase() === 'river' ? 'stream' : 'river'));
    default:
      return rest;
  }
}

function logprobsFor(
  text: string,
  seed: number,
  top: number | undefined,
): Pick<Candidate, never> & Record<string, unknown> {
  const tokens = text.match(/\s*\S{1,4}|\s+/g) ?? [];
  const chosen = tokens.map((token, index) => ({
    token,
    logProbability: -((hashText(`${index}:${token}`, seed) % 2000) / 1000),
  }));
  const average = chosen.length > 0 ? chosen.reduce((sum, item) => sum + item.logProbability, 0) / chosen.length : 0;
  const result: Record<string, unknown> = { chosenCandidates: chosen };
  if (top !== undefined && top > 0) {
    result.topCandidates = chosen.map((item, index) => ({
      candidates: [
        item,
        ...Array.from({ length: top - 1 }, (_, alt) => ({
          token: generatedWords(`${index}/${alt}`, seed, 1).replace(/\.$/, '').toLowerCase(),
          logProbability: item.logProbability - 1 - alt,
        })),
      ],
    }));
  }
  return { logprobsResult: result, avgLogprobs: average };
}

function groundingFor(request: GenerateContentRequest, text: string, seed: number): Record<string, unknown> {
  const query = promptText(request).split('\n').pop()?.slice(0, 80) ?? '';
  const sources = ['example.com', 'example.org'].map((domain, index) => ({
    web: {
      uri: `https://vertexaisearch.cloud.google.com/grounding-api-redirect/${signatureFor(`${query}/${index}`, seed).replace(/[+/=]/g, '')}`,
      title: domain,
    },
  }));
  const sentence = /^[^.!?]*[.!?]?/.exec(text)?.[0] ?? text;
  return {
    webSearchQueries: [query],
    searchEntryPoint: { renderedContent: `<div class="container"><span class="chip">${query}</span></div>` },
    groundingChunks: sources,
    // Segment offsets are UTF-8 byte offsets, as the API gives them.
    groundingSupports: [
      {
        segment: { startIndex: 0, endIndex: Buffer.byteLength(sentence), text: sentence },
        groundingChunkIndices: [0, 1],
      },
    ],
  };
}

/**
 * Composes the candidates of a successful answer. `maxOutput` is the request's output limit
 * (already capped at the model's); token counts use the emulator's tokenizer (tokens.ts).
 */
export function composeAnswer(
  request: GenerateContentRequest,
  model: EmulatedModel,
  seed: number,
  maxOutput: number,
  callId: string,
): ComposedAnswer {
  const config = request.generationConfig ?? {};
  const prefill = prefillOf(request);
  const base = prefill === undefined ? request : withoutPrefill(request);
  const count = Math.max(1, Number(config.candidateCount ?? 1));

  // Thinking: spent before the answer, out of the same maxOutputTokens.
  const range = model.thinkingRange;
  const budget = config.thinkingConfig?.thinkingBudget;
  const thinks = range !== undefined && !(budget === 0 && range.canDisable);
  const natural = model.thinkingTokens ?? EMULATOR_DEFAULTS.thinkingTokens;
  const planned = !thinks
    ? 0
    : budget === undefined || budget === -1
      ? natural
      : Math.min(natural, Math.max(budget, range.min));
  const includeThoughts = thinks && config.thinkingConfig?.includeThoughts === true;

  const functionCall = functionCallFor(base, seed);
  const grounded = (request.tools ?? []).some((tool) => tool.googleSearch || tool.googleSearchRetrieval);
  const candidates: Candidate[] = [];
  let answerTokens = 0;
  let thoughtTokens = 0;
  for (let index = 0; index < count; index++) {
    const candidateSeed = seed + index * 7919;
    const thoughts = Math.min(planned, maxOutput);
    thoughtTokens += thoughts;
    const room = maxOutput - thoughts;
    const parts: Part[] = [];
    if (includeThoughts) {
      parts.push({
        text: `**Considering the request**\n\n${generatedWords(`thought\n${promptText(base)}`, candidateSeed, 10)}\n`,
        thought: true,
      });
    }
    let finishReason = 'STOP';
    if (functionCall && room > 0) {
      const signature = model.signsFunctionCalls
        ? { thoughtSignature: signatureFor(functionCall.name, candidateSeed) }
        : {};
      parts.push({ functionCall: { id: callId, name: functionCall.name, args: functionCall.args }, ...signature });
      answerTokens += countTextTokens(JSON.stringify(functionCall));
    } else {
      let text = answerText(base, { seed: candidateSeed, model: model.name, echo: model.answer === 'echo' });
      if (prefill !== undefined) text = continueAnswer(text, prefill, model.continuation ?? 'literal');
      if (countTextTokens(text) > room) {
        text = text.slice(0, Math.max(0, room * 4));
        finishReason = 'MAX_TOKENS';
      }
      answerTokens += countTextTokens(text);
      if (text !== '') {
        const signature =
          model.signsFunctionCalls && thinks
            ? { thoughtSignature: signatureFor(text.slice(0, 64), candidateSeed) }
            : {};
        parts.push({ text, ...signature });
      }
      const candidateExtras = {
        ...(grounded && text !== '' ? { groundingMetadata: groundingFor(base, text, candidateSeed) } : {}),
        ...(config.responseLogprobs ? logprobsFor(text, candidateSeed, config.logprobs) : {}),
      };
      candidates.push({
        // With nothing written (thinking spent the limit) the API sends a content with its role only.
        content: parts.length > 0 ? { parts, role: 'model' } : ({ role: 'model' } as Content),
        finishReason,
        index,
        ...candidateExtras,
      });
      continue;
    }
    candidates.push({ content: { parts, role: 'model' }, finishReason, index });
  }
  return {
    candidates,
    usageMetadata: {
      ...(answerTokens > 0 ? { candidatesTokenCount: answerTokens } : {}),
      ...(thoughtTokens > 0 ? { thoughtsTokenCount: thoughtTokens } : {}),
    },
    outputTokens: answerTokens + thoughtTokens,
  };
}
