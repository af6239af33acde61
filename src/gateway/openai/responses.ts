// Gemini answers → OpenAI chat completions and stream chunks: text, thoughts, tool calls with their
// thought signatures, logprobs, finish reasons and usage. A blocked or cut answer is a normal
// completion here (`content_filter`, `length`), as OpenAI clients expect, never an error.
import { randomUUID } from 'node:crypto';
import { responseText, type Candidate, type GenerateContentResponse } from '../../wire/index.js';
import type { AnswerOptions } from '../openai-translate.js';
import type { SignatureMemory } from './signature-memory.js';
import type {
  ChatChoice,
  ChatChunkChoice,
  ChatCompletion,
  ChatCompletionChunk,
  ChatFinishReason,
  ChatToolCall,
  ChatUsage,
  ChoiceLogprobs,
  TokenLogprob,
} from './types.js';

/** Gemini's logprobs on a candidate (ai.google.dev/api/generate-content#LogprobsResult). */
interface LogprobsResult {
  chosenCandidates?: Array<{ token?: string; tokenId?: number; logProbability?: number }>;
  topCandidates?: Array<{ candidates?: Array<{ token?: string; tokenId?: number; logProbability?: number }> }>;
}
type CandidateWithLogprobs = Candidate & { logprobsResult?: LogprobsResult };

export interface RenderOptions {
  answer?: AnswerOptions;
  /** Where the signatures of returned tool calls are remembered for the next turn. */
  signatures?: SignatureMemory;
}

const FINISH: Record<string, ChatFinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  LANGUAGE: 'stop',
  OTHER: 'stop',
};

/** Gemini's finishReason as OpenAI's `finish_reason` (null while a stream goes on). */
export function finishReason(reason: string | undefined): ChatFinishReason | null {
  if (!reason) return null;
  return FINISH[reason] ?? 'stop';
}

/** Token counts in OpenAI's shape: thinking counts as completion, as OpenAI counts reasoning. */
export function usageOf(response: GenerateContentResponse): ChatUsage {
  const usage = response.usageMetadata ?? {};
  const prompt = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const reasoning = usage.thoughtsTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

function thoughtText(candidate: Candidate | undefined): string {
  return (candidate?.content?.parts ?? [])
    .filter((part) => part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

function answerText(candidate: Candidate | undefined): string {
  return candidate ? responseText({ candidates: [candidate] }) : '';
}

function newCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/** The candidate's function calls as tool calls; each signature is attached and remembered. */
function toolCallsOf(candidate: Candidate | undefined, signatures: SignatureMemory | undefined): ChatToolCall[] {
  return (candidate?.content?.parts ?? []).flatMap((part): ChatToolCall[] => {
    if (!part.functionCall) return [];
    const id = part.functionCall.id ?? newCallId();
    const signature = part.thoughtSignature;
    if (signature) signatures?.remember(id, signature);
    return [
      {
        id,
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        ...(signature ? { extra_content: { google: { thought_signature: signature } } } : {}),
      },
    ];
  });
}

function utf8Bytes(token: string): number[] {
  return [...Buffer.from(token, 'utf8')];
}

/** Gemini's logprobsResult as OpenAI's `logprobs.content` (both natural logs). */
export function logprobsOf(candidate: Candidate | undefined): ChoiceLogprobs | null {
  const result = (candidate as CandidateWithLogprobs | undefined)?.logprobsResult;
  if (!result?.chosenCandidates) return null;
  const content = result.chosenCandidates.map((chosen, step): TokenLogprob => {
    const token = chosen.token ?? '';
    return {
      token,
      logprob: chosen.logProbability ?? 0,
      bytes: utf8Bytes(token),
      top_logprobs: (result.topCandidates?.[step]?.candidates ?? []).map((top) => ({
        token: top.token ?? '',
        logprob: top.logProbability ?? 0,
        bytes: utf8Bytes(top.token ?? ''),
      })),
    };
  });
  return { content, refusal: null };
}

function finishOf(candidate: Candidate, calls: number): ChatFinishReason {
  if (calls > 0) return 'tool_calls';
  return finishReason(candidate.finishReason) ?? 'stop';
}

function blockedChoice(): ChatChoice {
  return {
    index: 0,
    message: { role: 'assistant', content: null, refusal: null },
    logprobs: null,
    finish_reason: 'content_filter',
  };
}

/**
 * A whole Gemini answer as a chat completion. A prompt blocked before any candidate gives one
 * choice with `finish_reason: "content_filter"`; thoughts appear only when the request asked.
 */
export function toChatCompletion(
  response: GenerateContentResponse,
  model: string,
  id: string,
  created: number,
  options: RenderOptions = {},
): ChatCompletion {
  const answer = options.answer;
  const candidates = response.candidates ?? [];
  const choices = candidates.map((candidate, index): ChatChoice => {
    const calls = toolCallsOf(candidate, options.signatures);
    const thoughts = answer?.includeThoughts ? thoughtText(candidate) : '';
    const marker = answer?.thoughtTagMarker;
    let text = answerText(candidate);
    if (thoughts && marker) text = `<${marker}>${thoughts}</${marker}>${text}`;
    const finish = finishOf(candidate, calls.length);
    return {
      index: candidate.index ?? index,
      message: {
        role: 'assistant',
        content: text || (calls.length > 0 || finish === 'content_filter' ? null : ''),
        refusal: null,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
        ...(thoughts && !marker ? { reasoning_content: thoughts } : {}),
      },
      logprobs: answer?.logprobs ? logprobsOf(candidate) : null,
      finish_reason: finish,
    };
  });
  if (choices.length === 0 && response.promptFeedback?.blockReason) choices.push(blockedChoice());
  return { id, object: 'chat.completion', created, model, choices, usage: usageOf(response) };
}

interface ChoiceState {
  roleSent: boolean;
  toolCalls: number;
  inThought: boolean;
}

/**
 * Turns the chunks of one Gemini stream into OpenAI chunks. It keeps what spans chunks: whether the
 * role was sent, the running index of each choice's tool calls, an open thought tag, the latest usage.
 */
export class ChatStreamTranslator {
  private readonly choices = new Map<number, ChoiceState>();
  private lastUsage: ChatUsage | undefined;

  constructor(
    private readonly id: string,
    private readonly created: number,
    private readonly options: RenderOptions = {},
  ) {}

  /** Usage of the latest chunk that carried usageMetadata. */
  get usage(): ChatUsage | undefined {
    return this.lastUsage;
  }

  private state(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { roleSent: false, toolCalls: 0, inThought: false };
      this.choices.set(index, state);
    }
    return state;
  }

  private choice(candidate: Candidate, position: number): ChatChunkChoice {
    const index = candidate.index ?? position;
    const state = this.state(index);
    const answer = this.options.answer;
    const marker = answer?.thoughtTagMarker;
    const thoughts = answer?.includeThoughts ? thoughtText(candidate) : '';
    let text = answerText(candidate);
    if (marker) {
      let prefix = '';
      if (thoughts) {
        prefix = state.inThought ? thoughts : `<${marker}>${thoughts}`;
        state.inThought = true;
      }
      if (state.inThought && (text || candidate.finishReason)) {
        prefix += `</${marker}>`;
        state.inThought = false;
      }
      text = prefix + text;
    }
    const calls = toolCallsOf(candidate, this.options.signatures).map((call) => ({
      index: state.toolCalls++,
      ...call,
    }));
    const delta = {
      ...(state.roleSent ? {} : { role: 'assistant' as const }),
      content: text,
      ...(thoughts && !marker ? { reasoning_content: thoughts } : {}),
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    };
    state.roleSent = true;
    const finish = candidate.finishReason
      ? state.toolCalls > 0
        ? 'tool_calls'
        : (finishReason(candidate.finishReason) ?? 'stop')
      : null;
    return {
      index,
      delta,
      logprobs: answer?.logprobs ? logprobsOf(candidate) : null,
      finish_reason: finish,
    };
  }

  /** The OpenAI chunk for one Gemini chunk, or undefined when it carries nothing for a choice. */
  chunk(response: GenerateContentResponse, model: string): ChatCompletionChunk | undefined {
    if (response.usageMetadata) this.lastUsage = usageOf(response);
    const choices = (response.candidates ?? []).map((candidate, position) => this.choice(candidate, position));
    if (choices.length === 0 && response.promptFeedback?.blockReason) {
      const state = this.state(0);
      choices.push({
        index: 0,
        delta: { ...(state.roleSent ? {} : { role: 'assistant' as const }), content: '' },
        logprobs: null,
        finish_reason: 'content_filter',
      });
      state.roleSent = true;
    }
    if (choices.length === 0) return undefined;
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model, choices };
  }

  /** The closing chunk with usage (`stream_options.include_usage`): no choices, only counts. */
  usageChunk(model: string): ChatCompletionChunk | undefined {
    if (!this.lastUsage) return undefined;
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model,
      choices: [],
      usage: this.lastUsage,
    };
  }
}

/**
 * One Gemini chunk as an OpenAI chunk, without state across chunks (`first` adds the role).
 * Prefer ChatStreamTranslator, which numbers tool calls across chunks.
 */
export function toChatChunk(
  response: GenerateContentResponse,
  model: string,
  id: string,
  created: number,
  first: boolean,
): ChatCompletionChunk {
  const translator = new ChatStreamTranslator(id, created);
  const chunk = translator.chunk(response, model) ?? {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [],
  };
  if (!first) for (const choice of chunk.choices) delete choice.delta.role;
  return chunk;
}
