// Reads the printed forms of Gemini answers and errors that are not JSON: the reprs Python SDKs
// print (`GenerateContentResponse(candidates=[Candidate(... finish_reason=<FinishReason.OTHER:
// 'OTHER'>)])`, pydantic's `candidates=[...] model_version='...'`), protobuf text format
// (`finish_reason: SAFETY`, `reason: "SERVICE_DISABLED"  metadata { key: "…" value: "…" }`),
// snake_case dicts, and error bodies cut off mid-paste. Each is turned into the same shape the JSON
// form has, so one set of rules decides for every form.
// Facts: finish and block reasons from the Gemini API reference (GenerateContentResponse,
// Candidate.FinishReason, PromptFeedback.BlockReason); ErrorInfo from google/rpc/error_details.proto.
import { DETAIL_TYPES, type ErrorInfo, type ErrorStatus } from '../wire/index.js';

/** Candidate.FinishReason numbers printed by proto-plus/protobuf when names are off (only the stable ones). */
const FINISH_BY_NUMBER: Record<string, string> = {
  '1': 'STOP',
  '2': 'MAX_TOKENS',
  '3': 'SAFETY',
  '4': 'RECITATION',
  '5': 'OTHER',
};

/** OpenAI-compatible finish reasons, as gateways and wrappers print them, in Gemini's words. */
const FINISH_BY_OPENAI_NAME: Record<string, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
};

const FINISH_REASON =
  /\bfinish_?reason["']?\s*[=:]\s*(?:<FinishReason\.([A-Z_]+)(?::[^>]*)?>|FinishReason\.([A-Z_]+)|["']?([A-Za-z_]+|\d+)["']?)/i;
const BLOCK_REASON =
  /\bblock_?reason["']?\s*[=:]\s*(?:<Block(?:ed)?Reason\.([A-Z_]+)(?::[^>]*)?>|Block(?:ed)?Reason\.([A-Z_]+)|["']?([A-Z][A-Z_]+)["']?)|\bBlock(?:ed)?Reason\.([A-Z_]+)|\bBlockedReason([A-Z][A-Za-z]+)\b/;
const TEXT_PART = /["']?\btext["']?\s*[=:]\s*(?:'((?:[^'\\\n]|\\.)+)'|"((?:[^"\\\n]|\\.)+)")/;
const OPENAI_CONTENT = /["']content["']\s*:\s*["']((?:[^"'\\]|\\.)+)["']/;
const FUNCTION_CALL = /\bfunction_?call["']?\s*(?:=\s*FunctionCall\(|[:=]?\s*\{)/i;
const MODEL_VERSION = /\bmodel_?version["']?\s*[=:]\s*["']([\w.-]+)["']/i;
const THOUGHTS_TOKENS = /\bthoughts_?token_?count["']?\s*[=:]\s*(\d+)/i;
const PROMPT_TOKENS = /\bprompt_?token_?count["']?\s*[=:]\s*(\d+)/i;
const RESPONSE_MARKERS = /GenerateContentResponse\(|\bCandidate\(|\bcandidates\s*[=:{]\s*[[{]?|\bprompt_feedback\b/;

/** `PROHIBITED_CONTENT` from `ProhibitedContent` (Go-style enum names). */
function upperSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function finishReasonIn(text: string): string | undefined {
  const match = FINISH_REASON.exec(text);
  if (!match) return undefined;
  const name = match[1] ?? match[2] ?? match[3];
  if (!name || /^(?:None|null|undefined|FINISH_REASON_UNSPECIFIED)$/i.test(name)) return undefined;
  return FINISH_BY_NUMBER[name] ?? FINISH_BY_OPENAI_NAME[name] ?? name.toUpperCase();
}

function blockReasonIn(text: string): string | undefined {
  const match = BLOCK_REASON.exec(text);
  if (!match) return undefined;
  const name = match[1] ?? match[2] ?? match[3] ?? match[4] ?? (match[5] ? upperSnake(match[5]) : undefined);
  if (!name || /^(?:NONE|BLOCK_REASON_UNSPECIFIED)$/.test(name)) return undefined;
  return name;
}

function unquote(text: string): string {
  return text.replace(/\\(['"\\])/g, '$1').replace(/\\n/g, '\n');
}

/**
 * A GenerateContentResponse-shaped object read from a printed (non-JSON) answer, or undefined when
 * the text prints no answer. Reads the finish reason, block reason, whether any text or function
 * call came back, the model version and usage (prompt and thoughts tokens).
 */
export function readPrintedResponse(text: string): Record<string, unknown> | undefined {
  const finishReason = finishReasonIn(text);
  const blockReason = blockReasonIn(text);
  if (!finishReason && !blockReason && !RESPONSE_MARKERS.test(text)) return undefined;
  if (!finishReason && !blockReason && !TEXT_PART.test(text)) return undefined;
  const textMatch = TEXT_PART.exec(text) ?? OPENAI_CONTENT.exec(text);
  const parts: Array<Record<string, unknown>> = [];
  const partText = textMatch ? unquote(textMatch[1] ?? textMatch[2] ?? '') : '';
  if (partText) parts.push({ text: partText });
  if (FUNCTION_CALL.test(text)) parts.push({ functionCall: { name: 'printed' } });
  const candidate: Record<string, unknown> = { content: { role: 'model', parts } };
  if (finishReason) candidate.finishReason = finishReason;
  const response: Record<string, unknown> = { candidates: blockReason && !finishReason ? [] : [candidate] };
  if (blockReason) response.promptFeedback = { blockReason };
  const modelVersion = MODEL_VERSION.exec(text)?.[1];
  if (modelVersion) response.modelVersion = modelVersion;
  const usage: Record<string, number> = {};
  const prompt = PROMPT_TOKENS.exec(text)?.[1];
  const thoughts = THOUGHTS_TOKENS.exec(text)?.[1];
  if (prompt) usage.promptTokenCount = Number(prompt);
  if (thoughts) usage.thoughtsTokenCount = Number(thoughts);
  if (Object.keys(usage).length) response.usageMetadata = usage;
  return response;
}

/** A copy of a parsed value with snake_case keys in camelCase (`finish_reason` → `finishReason`). */
export function camelizeKeys(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => camelizeKeys(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      camelizeKeys(child, depth + 1),
    ]),
  );
}

const PROTO_REASON = /(?:^|[\s[{,])reason:\s*"([A-Z][A-Z0-9_]+)"/m;
const PROTO_DOMAIN = /(?:^|[\s[{,])domain:\s*"([^"]+)"/m;
const PROTO_METADATA = /metadata\s*\{\s*key:\s*"([^"]+)"\s*value:\s*"([^"]*)"\s*\}/g;

/**
 * An ErrorInfo read from protobuf text format, as Python's google.api_core prints it inside an
 * exception message: `[reason: "RATE_LIMIT_EXCEEDED" domain: "googleapis.com" metadata { key: "quota_limit_value" value: "0" }]`.
 */
export function errorInfoFromProtoText(text: string): ErrorInfo | undefined {
  const reason = PROTO_REASON.exec(text)?.[1];
  if (!reason) return undefined;
  const domain = PROTO_DOMAIN.exec(text)?.[1];
  const metadata: Record<string, string> = {};
  for (const match of text.matchAll(PROTO_METADATA)) metadata[match[1]!] = match[2]!;
  return {
    '@type': DETAIL_TYPES.errorInfo,
    reason,
    ...(domain ? { domain } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

const EXCEPTION_NAME =
  /(?:\[)?\b((?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*(?:Error|Exception)|ResourceExhausted|ServiceUnavailable|InvalidArgument|PermissionDenied|NotFound|DeadlineExceeded|TooManyRequests|FailedPrecondition|Unauthenticated|Cancelled)|GoogleGenerativeAI Error|AI_[A-Za-z]+Error)\b/g;

/**
 * Exception class names printed before any body, outermost first: `litellm.AuthenticationError:
 * GeminiException - b'{…}'` gives `["litellm.AuthenticationError", "GeminiException"]`.
 */
export function exceptionNamesInText(text: string): string[] {
  const bodyStart = text.search(/b?['"]?\{\s*\\?["']/);
  const head = (bodyStart >= 0 ? text.slice(0, bodyStart) : text).slice(0, 4000);
  const names: string[] = [];
  for (const match of head.matchAll(EXCEPTION_NAME)) {
    const name = match[1]!;
    if (names[names.length - 1] !== name) names.push(name);
  }
  return names;
}

const CUT_START = /["']error["']\s*:\s*\{/;

/**
 * What survives of an error body cut off before its end (a paste limit, a log line limit): its code,
 * status and message (marked with … when the cut fell inside it). Undefined when there is no start
 * of a body or it names neither a code nor a status.
 */
export function readCutEnvelope(input: string): ErrorStatus | undefined {
  for (const text of input.includes('\\"') ? [input, input.replace(/\\(["\\])/g, '$1')] : [input]) {
    // A wrapper's body whose message is another (escaped) body starts first; the innermost start
    // is Google's own answer, so the starts are tried from the last one back.
    const starts = [...text.matchAll(new RegExp(CUT_START.source, 'g'))].map((match) => match.index);
    let rest = '';
    let code: string | undefined;
    let status: string | undefined;
    for (const start of starts.reverse()) {
      rest = text.slice(start);
      code = /["']code["']\s*:\s*["']?(\d{3})\b/.exec(rest)?.[1];
      status = /["']status["']\s*:\s*["']([A-Z][A-Z_]+)["']/.exec(rest)?.[1];
      if (code || status) break;
    }
    if (!code && !status) continue;
    const messageMatch = /["']message["']\s*:\s*(["'])((?:(?!\1)[^\\]|\\.)*)(\1?)/.exec(rest);
    let message = '';
    if (messageMatch) {
      const [, quote, body, closed] = messageMatch;
      try {
        message = quote === '"' ? (JSON.parse(`"${body}"`) as string) : unquote(body!);
      } catch {
        message = unquote(body!);
      }
      if (!closed) message = `${message.trimEnd()}…`;
    }
    return { code: code ? Number(code) : Number.NaN, message, status: status ?? '' };
  }
  return undefined;
}
