// Words that fit the case, not only the kind. A kind (rate_limited, invalid_request, …) covers many
// situations that need different advice: Vertex AI's shared capacity is not the caller's project
// quota, a key sent as a Bearer token is not a bad key, a schema too complex to serve is not a
// misspelt field. Each situation is recognised from the evidence on the error (reason, status,
// details, finish and block reasons, then the API's message) and brings its own explanation and
// remedies; the kind's catalogue entry is the last resort. Reading message words here is fine:
// these are words for people, and no remedy branches on them.
// Facts: Gemini API troubleshooting, rate-limits, thinking, thought-signatures, structured-output,
// files and caching pages (ai.google.dev/gemini-api/docs/...), Vertex AI error-code-429 page.
import type { GeminiError } from './gemini-error.js';
import type { ErrorKind } from './kinds.js';

/** Advice for one situation within a kind. Fields left out fall back to the kind's catalogue entry. */
export interface Situation {
  /** Stable name, e.g. `vertex_shared_capacity` (shown by `explain --json`). */
  id: string;
  kinds: readonly ErrorKind[];
  matches(error: GeminiError): boolean;
  title?: string;
  meaning: string;
  automatic?: string;
  remedies: string[];
}

const BLOCK_NOT_ADJUSTABLE = new Set(['PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_PROHIBITED_CONTENT']);

function text(error: GeminiError): string {
  return error.message;
}

/** Vertex AI (aiplatform.googleapis.com) rather than the Gemini API of Google AI Studio. */
export function isVertexError(error: GeminiError): boolean {
  const service = error.metadata?.service ?? '';
  if (service.includes('aiplatform')) return true;
  if (service.includes('generativelanguage')) return false;
  return /vertex-ai|aiplatform\.googleapis\.com|Vertex AI/i.test(`${error.message}\n${error.raw ?? ''}`);
}

function limitZero(error: GeminiError): boolean {
  return (
    error.quota.some((violation) => violation.limit === 0) ||
    /doesn't have a free quota tier|does not have a free quota tier/i.test(text(error))
  );
}

/** Situations, most specific first. */
export const SITUATIONS: readonly Situation[] = [
  {
    id: 'quota_no_allowance',
    kinds: ['quota_exhausted'],
    matches: limitZero,
    title: 'No quota for this model on this tier (429 RESOURCE_EXHAUSTED, limit 0)',
    meaning:
      "The project's tier allows this model 0 requests or tokens: the limit is not used up, there is none, so no wait or reset brings it back.",
    automatic:
      'gemwarden parks this project and model and goes on at once with a key of another project or the next model in the chain.',
    remedies: [
      'Enable billing on the project (a paid tier has quota for this model).',
      'Or use a model this tier has quota for (the rate-limits page lists them).',
      'Or use a key from a project that has quota for this model.',
    ],
  },
  {
    id: 'quota_credits_depleted',
    kinds: ['quota_exhausted', 'rate_limited', 'permission_denied'],
    matches: (error) =>
      /prepayment credits|credits? (?:are |have been )?(?:depleted|exhausted|used up)/i.test(text(error)),
    title: 'Prepaid credits used up',
    meaning: "The project's prepaid credits are spent; requests are refused until more are bought.",
    automatic: 'gemwarden stops using keys of this project and goes on with keys of other projects, if any.',
    remedies: [
      'Buy more credits or change the billing plan for the project in Google AI Studio.',
      'Or use a key from another project with credit left.',
    ],
  },
  {
    id: 'quota_plan_limit',
    kinds: ['quota_exhausted'],
    matches: (error) =>
      /administrator|upgrade your plan|spend(?:ing)? (?:cap|limit)|monthly|exhausted your capacity|quota will reset/i.test(
        text(error),
      ),
    title: 'Usage limit of the plan reached',
    meaning:
      'A limit of the plan or organisation is reached: a spending cap, a monthly or daily allowance, or a limit only an administrator can raise. It clears at its stated reset, not within minutes.',
    automatic: 'gemwarden parks this project and model until the stated reset and goes on with other keys or models.',
    remedies: [
      'Wait for the reset the message states, or ask the administrator of the plan or organisation to raise the limit.',
      'Or use a key from another project, or another model.',
    ],
  },
  {
    id: 'vertex_shared_capacity',
    kinds: ['rate_limited', 'quota_exhausted', 'unavailable'],
    matches: (error) =>
      isVertexError(error) &&
      error.quota.length === 0 &&
      /Resource exhausted|out of capacity|try again later|error-code-429/i.test(text(error)),
    title: 'Shared capacity exhausted on Vertex AI (429 RESOURCE_EXHAUSTED)',
    meaning:
      "Vertex AI serves this model from capacity shared by all its customers in the region (dynamic shared quota), and that shared capacity is busy right now. It is not your project's own quota, which may be far from used.",
    automatic:
      'gemwarden retries with backoff and jitter, then falls back to the next model in the chain; the circuit for this model opens while failures go on.',
    remedies: [
      'Retry with exponential backoff; bursts clear within seconds to minutes.',
      'Use the global endpoint or another region, or another model, while this one is busy.',
      'For steady high volume, buy Provisioned Throughput so capacity is reserved for you.',
    ],
  },
  {
    id: 'vertex_project_quota',
    kinds: ['rate_limited', 'quota_exhausted'],
    matches: (error) => isVertexError(error) && /Quota exceeded for aiplatform\.googleapis\.com/i.test(text(error)),
    title: "Your project's Vertex AI quota is reached (429 RESOURCE_EXHAUSTED)",
    meaning: 'The project used up one of its own Vertex AI quotas for this model in this region.',
    remedies: [
      'Slow down, or request a higher quota on the Quotas page of the Google Cloud console.',
      'Or send part of the traffic to another region or model.',
    ],
  },
  {
    id: 'quota_window_unknown',
    kinds: ['rate_limited'],
    matches: (error) => error.quota.length === 0 && error.retryAfterMs === undefined && !isVertexError(error),
    title: 'Quota exceeded, window not stated (429 RESOURCE_EXHAUSTED)',
    meaning:
      'Gemini refused for quota but did not say which quota or over which window (no QuotaFailure, no retry delay). gemwarden cannot tell a per-minute limit from a per-day one, so it treats it as per-minute: it waits, retries and paces.',
    automatic:
      'gemwarden waits with backoff and retries, using keys of other projects meanwhile. If the refusals go on for much longer than a minute, the limit is more likely per day.',
    remedies: [
      'Look at the usage and rate-limit page in Google AI Studio to see which limit is reached.',
      'Lower the request rate, or add a key from another project.',
    ],
  },
  {
    id: 'no_key_sent',
    kinds: ['permission_denied', 'api_key_invalid'],
    // Google's words for a call that carried no credential at all (no key header, no key parameter).
    matches: (error) => /unregistered callers/i.test(text(error)),
    title: 'No API key reached the API (403 PERMISSION_DENIED)',
    meaning:
      'The request carried no API key (or an empty one), so Google could not tell which project is calling and refused it.',
    remedies: [
      'Send the key in the x-goog-api-key header (or the key query parameter), and check that the variable your app reads it from (such as GEMINI_API_KEY) is set and not empty.',
      'Behind a proxy or gateway, check that it forwards the x-goog-api-key header.',
    ],
  },
  {
    id: 'credentials_sent_wrong_way',
    kinds: ['api_key_invalid', 'permission_denied'],
    matches: (error) =>
      error.httpStatus === 401 ||
      error.status === 'UNAUTHENTICATED' ||
      error.reason === 'ACCESS_TOKEN_TYPE_UNSUPPORTED' ||
      error.reason === 'CREDENTIALS_MISSING' ||
      /API keys are not supported by this API|Expected OAuth ?2 access token/i.test(text(error)),
    title: 'The credential was sent in a way this endpoint does not accept (401 UNAUTHENTICATED)',
    meaning:
      'The key itself may be fine: the endpoint expected another kind of credential, or found it in another place. A Gemini API key sent as "Authorization: Bearer …" is read as an OAuth 2 token and refused; Vertex AI endpoints want an OAuth 2 access token, not a Gemini API key.',
    automatic: 'gemwarden stops using this credential and says why; it does not retry the same call.',
    remedies: [
      'For the Gemini API (generativelanguage.googleapis.com), send the key in the x-goog-api-key header (or ?key=), and remove any Authorization header your client or proxy adds.',
      'For Vertex AI (aiplatform.googleapis.com), authenticate with OAuth 2 (Application Default Credentials or a service account), or use an express-mode key on the express endpoint.',
      'Check which endpoint your SDK is pointed at: a Vertex AI switch (e.g. GOOGLE_GENAI_USE_VERTEXAI) with a Gemini API key gives this error.',
    ],
  },
  {
    id: 'key_leaked',
    kinds: ['api_key_invalid', 'permission_denied'],
    matches: (error) => /reported as leaked/i.test(text(error)),
    title: 'The API key was blocked as leaked',
    meaning: 'Google found this key in public (a repository, a web page) and blocked it for good.',
    remedies: [
      'Create a new key in Google AI Studio and delete the leaked one.',
      'Keep keys out of source code and client-side apps: load them from the environment or a secret store.',
    ],
  },
  {
    id: 'key_expired',
    kinds: ['api_key_invalid'],
    matches: (error) => /API key expired|key (?:has )?expired/i.test(text(error)),
    title: 'The API key has expired (400 INVALID_ARGUMENT, API_KEY_INVALID)',
    meaning:
      'The key was valid once but has expired: Google refuses it for every model, and no wait or retry brings it back.',
    remedies: [
      'Create a new key in Google AI Studio (or renew the key in the Google Cloud console) and put it where the app reads its key.',
      'Meanwhile use another key.',
    ],
  },
  {
    id: 'project_suspended',
    kinds: ['permission_denied', 'api_key_invalid'],
    matches: (error) => error.reason === 'CONSUMER_SUSPENDED' || /has been suspended/i.test(text(error)),
    title: 'The project (or key) is suspended (403 PERMISSION_DENIED)',
    meaning:
      'Google suspended the project or the key, usually for suspected abuse or a terms-of-service issue. Every key of that project is refused; a new key in the same project does not help.',
    automatic: "gemwarden takes every key of this project out of its pool and goes on with other projects' keys.",
    remedies: [
      'Appeal through Google AI Studio or Google Cloud support if you think it is a mistake.',
      'Meanwhile use a key from another project.',
    ],
  },
  {
    id: 'api_disabled',
    kinds: ['permission_denied'],
    matches: (error) =>
      error.reason === 'SERVICE_DISABLED' || /has not been used in project .* or it is disabled/i.test(text(error)),
    title: 'The Generative Language API is disabled for this project (403 PERMISSION_DENIED)',
    meaning: "The key's project has not enabled the API it called, so the key cannot use it yet.",
    automatic: "gemwarden takes this project's keys out of its pool until restart and goes on with the others.",
    remedies: [
      'Enable the API for the project (the link in the error opens the right page), then wait a few minutes for it to take effect.',
      'Or create the key in Google AI Studio, which makes a project with the API enabled.',
    ],
  },
  {
    id: 'key_restricted',
    kinds: ['permission_denied'],
    matches: (error) =>
      /^API_KEY_(?:SERVICE|HTTP_REFERRER|IP_ADDRESS|ANDROID_APP|IOS_APP)_BLOCKED$/.test(error.reason ?? ''),
    title: "The key's restrictions block this call (403 PERMISSION_DENIED)",
    meaning:
      'The key is valid but restricted: to certain APIs, websites, IP addresses or apps, and this call is outside them.',
    remedies: [
      "Edit the key's restrictions in the Google Cloud console (APIs & Services → Credentials): allow the Generative Language API, and the referrer or address you call from.",
      'Or use a key without those restrictions on the server side.',
    ],
  },
  {
    id: 'schema_too_complex',
    kinds: ['invalid_request'],
    matches: (error) => /too many states for serving|schema produces a constraint/i.test(text(error)),
    title: 'The response schema (or tool set) is too complex to serve',
    meaning:
      'Gemini turns a responseSchema, or the parameters of the declared tools, into constraints for decoding; this one expands into too many states.',
    remedies: [
      'Shorten property names and enum values, and use fewer enum values.',
      'Lower or drop array length limits (minItems/maxItems), especially in nested arrays; flatten deep nesting.',
      'Drop optional properties and value formats you do not need, or split the task into several calls.',
      'With many tools, declare only the ones this call needs.',
    ],
  },
  {
    id: 'thought_signature_missing',
    kinds: ['invalid_request'],
    matches: (error) => /thought_?signature/i.test(text(error)),
    title: 'A thought signature is missing from the conversation',
    meaning:
      "Models that think (Gemini 3 and later) sign their function calls; the next request must send the model's turn back with those signatures, and this one did not.",
    remedies: [
      'Send each model turn back exactly as it was received, with every part and its thoughtSignature; do not rebuild history from the text alone.',
      "The SDKs' chat sessions do this for you; a proxy or framework that converts messages must carry thoughtSignature through.",
    ],
  },
  {
    id: 'thinking_config_refused',
    kinds: ['invalid_request'],
    matches: (error) =>
      /thinking[_ ]?budget|thinking[_ ]?level|thinking mode|Thinking can't be disabled/i.test(text(error)),
    title: 'The model refuses this thinking setting',
    meaning:
      'The thinking configuration is outside what this model accepts: some models cannot turn thinking off (Gemini 2.5 Pro accepts a budget of 128 to 32768), others have their own ranges, and thinkingLevel exists only on newer models.',
    remedies: [
      'Remove thinkingConfig to let the model choose, or set a value in its range (see the thinking page of the Gemini API docs).',
      'To turn thinking off, use a model that allows it (e.g. a Flash model with thinkingBudget 0).',
    ],
  },
  {
    id: 'empty_text_part',
    kinds: ['invalid_request'],
    matches: (error) =>
      /empty text parameter|must have a text parameter|parts? must not be empty|at least one contents field is required|contents is not specified|contents are required|required oneof field 'data'/i.test(
        text(error),
      ),
    title: 'A message or part of the request is empty',
    meaning:
      'Every content sent to Gemini needs at least one part with something in it; this request has an empty one.',
    remedies: [
      'Drop empty messages and empty text parts before sending (a failed or blocked model turn often leaves one in the history).',
      'When converting from another chat format, skip messages whose text is empty.',
    ],
  },
  {
    // Seen through relays that call Gemini with a Google account's OAuth login (the Gemini CLI /
    // Code Assist sign-in) instead of an API key: the service answers 500 INTERNAL with this text.
    id: 'oauth_no_cloud_project',
    kinds: ['internal', 'permission_denied', 'invalid_request', 'unknown'],
    matches: (error) => /Could not discover a valid Google Cloud Project ID/i.test(text(error)),
    title: 'The signed-in Google account has no Google Cloud project',
    meaning:
      'The call was made with a Google account login (OAuth) rather than an API key, and the service found no Google Cloud project to bill and count quota against. It is reported as an internal error, but the same call fails the same way until a project is set.',
    automatic: 'gemwarden retries once, as for any 500, then returns the error: only a project fixes it.',
    remedies: [
      'Set the GOOGLE_CLOUD_PROJECT environment variable to the ID of a Google Cloud project the account may use, then sign in again.',
      'Or call the Gemini API with an API key from Google AI Studio instead of the account login.',
    ],
  },
  {
    id: 'resource_gone',
    kinds: ['not_found', 'permission_denied', 'invalid_request'],
    matches: (error) =>
      error.blame === 'resource' ||
      /File [\w-]+ (?:or it may not exist|is not in an ACTIVE state)|CachedContent not found|Cache content .* (?:expired|not found)/i.test(
        text(error),
      ),
    title: 'A file or cached content the request names is gone or not yours',
    meaning:
      'The request refers to an uploaded file or cached content that has expired, was deleted, is still processing, or belongs to another project (each is visible only to keys of the project that made it).',
    automatic: 'gemwarden does not retry this or change keys: another key of the same project sees the same.',
    remedies: [
      'Upload the file again (uploaded files are kept for 48 hours) or create the cache again (it ends at its TTL), with a key of the same project that will use it.',
      'After uploading a video or large file, wait until its state is ACTIVE before using it.',
    ],
  },
  {
    id: 'block_not_adjustable',
    kinds: ['blocked'],
    matches: (error) => BLOCK_NOT_ADJUSTABLE.has(error.blockReason ?? error.finishReason ?? ''),
    title: 'Blocked as prohibited content (not adjustable)',
    meaning:
      'Gemini withheld the answer under its usage policies (prohibited content, a blocklist, or personal data). Unlike the harm categories, this block has no threshold a request can change.',
    automatic: 'gemwarden does not retry the same prompt; it falls back to another model only when you ask it to.',
    remedies: [
      'Remove or rephrase the part of the input that triggers it; for long inputs, split them to find the passage.',
      'For personal data (SPII), redact it before sending.',
      'If you think the block is wrong, report it with feedback in Google AI Studio.',
    ],
  },
  {
    id: 'recitation',
    kinds: ['blocked'],
    matches: (error) => (error.finishReason ?? error.blockReason) === 'RECITATION',
    title: 'Stopped for recitation',
    meaning: 'The answer was stopped because it repeated existing text (e.g. copyrighted material) too closely.',
    remedies: [
      'Ask for a summary, a paraphrase or an analysis instead of verbatim text.',
      'Raise the temperature a little, or rephrase the prompt.',
    ],
  },
  {
    id: 'blocked_other',
    kinds: ['blocked'],
    matches: (error) => (error.finishReason ?? error.blockReason) === 'OTHER',
    title: 'Stopped for an unnamed reason (OTHER)',
    meaning:
      'Gemini stopped without naming a category. It is often a policy filter, sometimes an input it cannot handle; the same prompt tends to stop again.',
    remedies: ['Rephrase or shorten the prompt, or split a long input.', 'Try another model.'],
  },
  {
    id: 'malformed_function_call',
    kinds: ['malformed_response'],
    matches: (error) =>
      error.finishReason === 'MALFORMED_FUNCTION_CALL' || error.finishReason === 'UNEXPECTED_TOOL_CALL',
    title: 'The model produced a tool call it could not finish',
    meaning:
      'The model tried to call a tool but wrote a call that does not fit the declared tools (finishReason MALFORMED_FUNCTION_CALL).',
    automatic: 'gemwarden retries it like a transient failure.',
    remedies: [
      'Retry; if it repeats, declare fewer tools, simplify their parameter schemas, or describe them more plainly.',
      'With toolConfig mode ANY, check that the model is allowed to call the tools it needs.',
    ],
  },
  {
    id: 'stream_incomplete',
    kinds: ['malformed_response'],
    matches: (error) => error.finishReason === undefined,
    title: 'The answer ended early (no finish reason)',
    meaning:
      'The stream or answer ended without a finish reason, with an invalid chunk, or with no text: an incomplete answer, usually a passing fault on the serving side.',
    automatic: 'gemwarden retries it like a transient failure.',
    remedies: ['Retry; it usually works. If it keeps happening with one prompt, shorten it or try another model.'],
  },
  {
    id: 'server_cancelled',
    kinds: ['unavailable'],
    matches: (error) => error.status === 'CANCELLED' || error.httpStatus === 499,
    title: 'Google cancelled the request on its side (499 CANCELLED)',
    meaning:
      'The server gave up on the request before answering. It is seen under heavy load and is transient; it is not your own abort.',
    automatic: 'gemwarden retries with backoff and jitter, and falls back to the next model after repeated failures.',
    remedies: ['Retry with backoff.', 'For long requests, stream the answer or split the work.'],
  },
  {
    id: 'never_connected',
    kinds: ['network'],
    matches: (error) =>
      /DNS|failed to connect to all addresses|handshaker|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|getaddrinfo|Connect Timeout|name resolution/i.test(
        `${error.message}\n${error.raw ?? ''}`,
      ),
    title: 'Could not reach Google (no connection)',
    meaning:
      'The connection to the API was never made: name resolution failed, or the address was refused or unreachable. No server answered, whatever status or timeout the client printed around it.',
    remedies: [
      'Check DNS and connectivity to generativelanguage.googleapis.com (or your base URL).',
      'If you need a proxy, set HTTPS_PROXY for the process; check firewalls and regional network blocks.',
    ],
  },
];

/** The situation an error is in, or undefined when only the kind's general words fit. */
export function findSituation(error: GeminiError): Situation | undefined {
  return SITUATIONS.find((situation) => situation.kinds.includes(error.kind) && situation.matches(error));
}
