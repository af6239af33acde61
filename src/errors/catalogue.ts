// What each kind of failure means, what gemwarden does about it by itself, and what a person has
// to do, with the specifics of the error filled in (which quota, which model, when it resets).
import { formatPacificTime, nextPacificMidnight } from '../time/index.js';
import type { GeminiError } from './gemini-error.js';
import type { ErrorKind } from './kinds.js';

export interface CatalogueEntry {
  title: string;
  /** What happened, in general terms. */
  meaning: string;
  /** What the resilient client and gateway do about it without being asked. */
  automatic: string;
  /** What a person should do. */
  remedies: string[];
}

export const CATALOGUE: Record<ErrorKind, CatalogueEntry> = {
  invalid_request: {
    title: 'The request is malformed (400 INVALID_ARGUMENT)',
    meaning:
      'Gemini could not accept the request body: an unknown or misspelt field, a wrong type, a bad role, or a feature this API version does not have.',
    automatic: 'Nothing: sending the same body again gives the same answer, so gemwarden fails at once.',
    remedies: [
      'Compare the request with the API reference for the version you call (v1beta has fields v1 lacks).',
      'Check the field named in the error; roles must be "user" or "model" and contents must not be empty.',
    ],
  },
  input_too_large: {
    title: 'The input is larger than the model accepts',
    meaning: "The prompt has more tokens than the model's input limit, or the request body is over the size limit.",
    automatic:
      'gemwarden calls your shrink hook when you gave one (fewer turns, a smaller batch) and tries again; otherwise it fails at once.',
    remedies: [
      'Send less: trim history, split the document, or summarise earlier turns.',
      'Upload large media through the Files API instead of inline data.',
      'Use a model with a larger input limit.',
    ],
  },
  api_key_invalid: {
    title: 'The API key is not valid',
    meaning: 'Google did not accept the key: it is mistyped, deleted, expired, or was revoked.',
    automatic: 'gemwarden takes the key out of its pool, says why, and goes on with the other keys.',
    remedies: [
      'Create a new key in Google AI Studio (aistudio.google.com/app/apikey) and replace the old one.',
      'Check the key has no stray spaces or quotes and belongs to the project you expect.',
    ],
  },
  location_unsupported: {
    title: 'Not available where you are without billing (400 FAILED_PRECONDITION)',
    meaning: 'The Gemini API, or its free tier, is not offered in the country or region the request comes from.',
    automatic: 'Nothing: no retry or other model changes where the request comes from, so gemwarden fails at once.',
    remedies: [
      'Enable billing on the project in Google AI Studio to move it to a paid tier.',
      'Or call the API from a supported region.',
    ],
  },
  permission_denied: {
    title: 'The key is not allowed to make this call (403 PERMISSION_DENIED)',
    meaning:
      'The key exists but lacks access: the API is disabled for its project, the project or key is suspended or restricted, or no key was sent.',
    automatic:
      'gemwarden takes the key out of the pool (for this model only when only this model is refused) and goes on with the others.',
    remedies: [
      'Check that a key is sent and that the Generative Language API is enabled for its project.',
      "Look at the key's restrictions (allowed APIs, referrers, IP addresses) in the Google Cloud console.",
      'Tuned models need OAuth authentication, not an API key.',
    ],
  },
  not_found: {
    title: 'The model or resource does not exist (404 NOT_FOUND)',
    meaning:
      'The model name is wrong, retired, not offered on this API version, or does not support the method called.',
    automatic:
      'gemwarden drops the model from its fallback chain and goes on with the next one; with no other model it fails at once.',
    remedies: [
      'List the models your key can use (GET /v1beta/models, or `gemwarden doctor`) and pick a current one.',
      'Check the API version: some models exist on v1beta only.',
    ],
  },
  rate_limited: {
    title: 'Rate limit reached (429 RESOURCE_EXHAUSTED)',
    meaning:
      'Too many requests or input tokens in the current minute for this project and model. Quota is counted per project, so extra keys of the same project do not add room.',
    automatic:
      'gemwarden waits at least as long as the server asks (RetryInfo), uses a key of another project meanwhile, and paces later requests to stay under the limit.',
    remedies: [
      'Lower the request rate or batch more work into fewer requests.',
      'Add a key from another Google Cloud project, or request a higher tier in Google AI Studio.',
    ],
  },
  quota_exhausted: {
    title: 'Quota used up (429 RESOURCE_EXHAUSTED)',
    meaning:
      'A quota that does not clear within minutes is spent: a per-day limit, or the model has no quota at all on this tier (limit 0).',
    automatic:
      "gemwarden parks this project and model until the quota resets and goes on at once with another project's key or the next model in the chain.",
    remedies: [
      'Wait for the daily reset (midnight Pacific time), use a key from another project, or switch to a model with quota left.',
      'Enable billing to raise the limits; a limit of 0 means the model is not offered on the free tier.',
    ],
  },
  internal: {
    title: "Internal error on Google's side (500 INTERNAL)",
    meaning: 'The request failed inside Gemini. It is often tied to a very long input or to the model itself.',
    automatic:
      'gemwarden retries once, then calls your shrink hook if you gave one, then falls back to the next model.',
    remedies: [
      'Reduce the input (shorter context, smaller batch) and try again.',
      'Switch to another model for a while, e.g. from a Pro model to a Flash model.',
      'If it keeps happening, report it with "Send feedback" in Google AI Studio.',
    ],
  },
  unavailable: {
    title: 'The model is overloaded or unavailable (503 UNAVAILABLE)',
    meaning: 'Gemini is temporarily out of capacity for this model, or a front end failed (502).',
    automatic:
      'gemwarden retries with backoff and jitter, falls back to the next model after repeated failures, and opens a circuit so later calls skip the failing model until it recovers.',
    remedies: [
      'Wait a little and retry, or switch to another model for now (e.g. a Flash model).',
      'Configure a fallback chain so this happens without you.',
    ],
  },
  deadline_exceeded: {
    title: 'The server ran out of time (504 DEADLINE_EXCEEDED)',
    meaning: "Gemini could not finish within the request's deadline, usually for a long prompt or a long answer.",
    automatic:
      'gemwarden retries with a longer timeout (and a matching X-Server-Timeout), then falls back to the next model.',
    remedies: [
      'Allow more time: raise the client timeout (at least 10 s; minutes for long outputs).',
      'Ask for shorter output or split the work.',
    ],
  },
  timeout: {
    title: "No answer within the client's timeout",
    meaning: 'The request was still running when the client-side timeout fired.',
    automatic: 'gemwarden retries with a longer timeout, up to its cap, then falls back to the next model.',
    remedies: [
      'Raise the timeout, or stream the answer so the first bytes arrive sooner.',
      'Ask for shorter output or split the work.',
    ],
  },
  network: {
    title: 'Network failure',
    meaning: 'The connection to the API failed: refused, reset, DNS or TLS trouble, or a proxy in between.',
    automatic: 'gemwarden retries with backoff and jitter and falls back to the next model after repeated failures.',
    remedies: [
      'Check connectivity to generativelanguage.googleapis.com, proxies and firewalls.',
      'Check the base URL you configured.',
    ],
  },
  blocked: {
    title: 'The answer was blocked by a safety or policy filter',
    meaning:
      'Gemini answered 200 but withheld the content: the prompt or the answer tripped a filter (safety, recitation, blocklist, prohibited content).',
    automatic: 'gemwarden does not retry the same prompt; it falls back to another model only when you ask it to.',
    remedies: [
      'Rephrase the prompt, or adjust safetySettings for the harm categories named.',
      'For recitation, ask for a summary or a paraphrase instead of verbatim text.',
    ],
  },
  truncated: {
    title: 'The answer was cut off by the output token limit',
    meaning:
      'The model hit maxOutputTokens (finishReason MAX_TOKENS) before finishing; thinking can use up the budget before any answer is written.',
    automatic: 'gemwarden returns what arrived with the error and does not retry the same limits.',
    remedies: [
      'Raise generationConfig.maxOutputTokens, or lower thinkingConfig.thinkingBudget.',
      'Ask for shorter output or split the task.',
    ],
  },
  malformed_response: {
    title: 'The answer was not a valid response',
    meaning:
      'Gemini answered with a success status but the body was empty, not JSON, cut off, or held an unusable tool call.',
    automatic: 'gemwarden retries it like a transient failure.',
    remedies: ['Retry; if it keeps happening with this prompt, simplify the tools or the response schema.'],
  },
  cancelled: {
    title: 'The request was cancelled',
    meaning:
      'The caller aborted the request (its own abort signal or timeout) before the answer came. A 499 CANCELLED sent by the server is not this: it is retried as a passing fault.',
    automatic: 'Nothing: gemwarden never retries a cancelled request.',
    remedies: [
      'Nothing to fix unless the cancellation was unexpected: then check your own timeouts and abort signals.',
    ],
  },
  unknown: {
    title: 'Unrecognised error',
    meaning: 'This does not look like any Gemini failure gemwarden knows.',
    automatic: 'gemwarden does not retry what it cannot recognise.',
    remedies: ['Read the raw text below; if it is a Gemini error, please report it so it can be recognised.'],
  },
};

const RETIRED_MODELS: Array<[RegExp, string]> = [
  [/^gemini-(?:1\.0-)?pro(?:-vision)?(?:-\d+)?$/, 'gemini-2.5-flash'],
  [/^gemini-1\.5-pro/, 'gemini-2.5-pro'],
  [/^gemini-1\.5-flash-8b/, 'gemini-2.5-flash-lite'],
  [/^gemini-1\.5-flash/, 'gemini-2.5-flash'],
  [/^gemini-2\.0-pro/, 'gemini-2.5-pro'],
  [/^gemini-2\.0-flash-lite/, 'gemini-2.5-flash-lite'],
  [/^gemini-2\.0-flash/, 'gemini-2.5-flash'],
];

/** A current model to use instead of a retired one, when gemwarden knows one. */
export function replacementModel(model: string | undefined): string | undefined {
  if (!model) return undefined;
  return RETIRED_MODELS.find(([pattern]) => pattern.test(model))?.[1];
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${Number(seconds.toFixed(seconds < 10 ? 2 : 0))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function describeQuota(error: GeminiError): string | undefined {
  if (error.quota.length === 0) return undefined;
  return error.quota
    .map((violation) => {
      const name = violation.id ?? violation.metric ?? 'a quota';
      const scope = violation.scope === 'unknown' ? '' : ` (per ${violation.scope})`;
      const limit = violation.limit !== undefined ? `, limit ${violation.limit}` : '';
      const model = violation.model ? ` for ${violation.model}` : '';
      return `${name}${scope}${limit}${model}`;
    })
    .join('; ');
}

/** Specific sentences for this error: which quota, which model, when to retry, what the reason means. */
export function specifics(error: GeminiError): string[] {
  const lines: string[] = [];
  const quota = describeQuota(error);
  if (quota) lines.push(`Quota hit: ${quota}.`);
  if (error.kind === 'quota_exhausted') {
    if (error.resetAt !== undefined) {
      const inMs = error.retryAfterMs;
      // Gemini's days end at midnight Pacific; a reset at another instant is a compressed quota day
      // (a test server such as the emulator), which ends when that server said.
      const atMidnight = nextPacificMidnight(error.resetAt - 1) === error.resetAt;
      lines.push(
        atMidnight
          ? `It resets at ${formatPacificTime(error.resetAt)} (midnight Pacific time${inMs !== undefined ? `, in ${formatSeconds(inMs)}` : ''}).`
          : `It resets at ${formatPacificTime(error.resetAt)}${inMs !== undefined ? `, in ${formatSeconds(inMs)}` : ''}, when the server's quota day ends.`,
      );
      if (atMidnight && error.serverRetryDelayMs !== undefined && error.serverRetryDelayMs < 3_600_000) {
        lines.push(
          `The server's "retry in ${formatSeconds(error.serverRetryDelayMs)}" does not apply: a per-day quota is not freed by waiting seconds.`,
        );
      }
    } else if (error.quota.some((violation) => violation.limit === 0))
      lines.push("The limit is 0: this model has no quota on this project's tier; waiting will not help.");
  } else if (error.retryAfterMs !== undefined) {
    lines.push(`The server asks to retry after ${formatSeconds(error.retryAfterMs)}.`);
  }
  switch (error.reason) {
    case 'CONSUMER_SUSPENDED':
      lines.push('The project or key has been suspended by Google: appeal or use a key from another project.');
      break;
    case 'SERVICE_DISABLED': {
      const url = error.metadata?.activationUrl ?? error.helpLinks.find((link) => link.url)?.url;
      lines.push(
        `The Generative Language API is disabled for this project${url ? `: enable it at ${url}` : ''}, then wait a few minutes.`,
      );
      break;
    }
    case 'API_KEY_SERVICE_BLOCKED':
      lines.push(
        "The key's API restrictions block this method: allow the Generative Language API for this key, or use an unrestricted key.",
      );
      break;
    case 'API_KEY_HTTP_REFERRER_BLOCKED':
      lines.push('The key only works from certain websites (referrer restriction).');
      break;
    case 'API_KEY_IP_ADDRESS_BLOCKED':
      lines.push('The key only works from certain IP addresses.');
      break;
    default:
      break;
  }
  if (error.kind === 'not_found') {
    const replacement = replacementModel(error.model);
    if (error.model)
      lines.push(`Model: ${error.model}.${replacement ? ` It has been retired: use ${replacement}.` : ''}`);
  }
  const tokens = /input token count \(?(\d+)\)? exceeds the maximum number of tokens allowed \(?(\d+)\)?/i.exec(
    error.message,
  );
  if (tokens) lines.push(`The input has ${tokens[1]} tokens; the model accepts ${tokens[2]}.`);
  for (const violation of error.fieldViolations.slice(0, 5)) {
    if (violation.field) lines.push(`Field ${violation.field}: ${violation.description ?? 'invalid'}`);
  }
  if (error.finishReason) lines.push(`finishReason: ${error.finishReason}.`);
  if (error.blockReason) lines.push(`blockReason: ${error.blockReason}.`);
  return lines;
}
