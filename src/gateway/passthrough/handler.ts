// The pass-through handler: every Gemini REST path the gateway does not model itself is forwarded
// upstream unchanged, with the remedies that are safe for its kind of call:
// - reads (GET) and pure computations (embeddings, countTokens, generate calls citing resources,
//   Google's OpenAI layer) are retried on 429/5xx/network, honouring RetryInfo, on other keys;
// - creates and other writes are retried only when the failure proves nothing happened upstream
//   (429, 503, connection refused): never after a timeout or a 500, which could duplicate a batch;
// - bodies that cannot be replayed (upload chunks, large uploads) are streamed once, never retried.
// Project-scoped resources go to a key of their owner's project (owners.ts); a resource of unknown
// owner is tried on each project in turn, and a 403/404 about it moves on without taking a key out.
import type { GeminiClient } from '../../client/index.js';
import { geminiErrorBody, gemwardenInfo, headerSafe, httpStatusFor } from '../../client/index.js';
import { createGeminiError, toGeminiError, type GeminiError } from '../../errors/index.js';
import type { PooledKey } from '../../policy/index.js';
import { REAL_DAY_MS } from '../../pacing/store.js';
import { pulledStream, readStreamText, sendStreamed, type StreamedAnswer } from '../../transport/streamed-send.js';
import type { UpstreamPool } from '../../transport/upstream-pool.js';
import { parseGeminiPath, bareModelName, type Part } from '../../wire/index.js';
import type { Clock } from '../../time/index.js';
import { estimateRequestTokens } from '../../pacing/estimate.js';
import { parkPair, parkSpentDay } from '../../pipeline/park.js';
import type { FetchHandler, RequestContext } from '../router.js';
import type { ResourceOwners } from './owners.js';
import { resourceInPath, resourcesInAnswer, resourcesInBody } from './resource-names.js';
import { clientHeaders, upstreamHeaders, upstreamUrl } from './upstream.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, fillPage } from './list-pages.js';

/** How a call may be retried (see the file header). */
export type CallKind = 'read' | 'pure' | 'create' | 'once';

export interface PassThroughOptions {
  client: GeminiClient;
  /** The Gemini API base URL (or the emulator's). */
  upstream: string;
  owners: ResourceOwners;
  clock: Clock;
  /** Model fallback chains from the config; used for Google's OpenAI layer and, when named, embeddings. */
  fallbacks?: Record<string, readonly string[]>;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** The gateway's Gemini-native handler: generate calls that cite no resource go there. */
  native?: FetchHandler;
  /** Bodies up to this size are buffered so that a call can be retried; larger ones stream once. */
  replayableBytes?: number;
  /**
   * A compressed quota day, ms (the config's `quotaWindows.dayMs`, for the emulator): a per-day 429
   * then parks its pair until that day's end, not until midnight Pacific. Absent: the real day.
   */
  quotaDayMs?: number;
  /** The upstream connection pool for forwarded calls (default: the transport's shared unlimited pool). */
  pool?: UpstreamPool;
  /** The fetch the merged list calls use (default: the global fetch). */
  fetch?: typeof fetch;
}

export const PASS_THROUGH_DEFAULTS = {
  maxAttempts: 4,
  replayableBytes: 16 * 1024 * 1024,
  /** The longest wait for a RetryInfo delay before moving on or giving up. */
  maxWaitMs: 60_000,
  /** Backoff when the server named no delay. */
  backoffMs: 500,
} as const;

/** Paths the pass-through serves: the Gemini REST API's versions, uploads and downloads. */
export function isPassThroughPath(url: URL): boolean {
  return /^\/(?:(?:upload|download)\/)?v1(?:beta|alpha)?\//.test(url.pathname);
}

const PURE_METHODS = new Set([
  'embedContent',
  'batchEmbedContents',
  'countTokens',
  'generateContent',
  'streamGenerateContent',
]);
const NATIVE_METHODS = new Set(['generateContent', 'streamGenerateContent', 'countTokens']);
/** List methods of project-scoped collections (answered per project, merged). */
const LIST_PATH = /^\/v1(?:beta|alpha)?\/(files|cachedContents|batches|tunedModels|fileSearchStores)$/;
const EMBED_METHODS = new Set(['embedContent', 'batchEmbedContents', 'asyncBatchEmbedContent']);

/** Statuses whose answers carry no body (Fetch standard, "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function isJson(headers: Headers): boolean {
  return /json/i.test(headers.get('content-type') ?? '');
}

interface Attempted {
  /** Upstream's failed answer, when there was one. */
  answer?: { status: number; headers: Headers; text: string };
  error: GeminiError;
  key: PooledKey;
}

export function createPassThroughHandler(options: PassThroughOptions): FetchHandler {
  const { client, upstream, owners, clock } = options;
  const maxAttempts = options.maxAttempts ?? PASS_THROUGH_DEFAULTS.maxAttempts;
  const replayable = options.replayableBytes ?? PASS_THROUGH_DEFAULTS.replayableBytes;
  const send = options.fetch ?? fetch;
  const secrets = client.keys.keys.map((entry) => entry.key);
  const quotaDayMs =
    options.quotaDayMs !== undefined && options.quotaDayMs !== REAL_DAY_MS ? options.quotaDayMs : undefined;

  /** Projects in fairness order, each with its usable keys. */
  function projects(): Map<string, PooledKey[]> {
    const out = new Map<string, PooledKey[]>();
    for (const entry of client.keys.byFairness(client.keys.keys.filter((key) => !key.disabled))) {
      const list = out.get(entry.project) ?? [];
      list.push(entry);
      out.set(entry.project, list);
    }
    return out;
  }

  async function record(names: string[], project: string): Promise<void> {
    await Promise.all(names.map((name) => owners.set(name, project)));
  }

  return async (request: Request, context: RequestContext): Promise<Response> => {
    const url = context.url;
    const route = parseGeminiPath(url.pathname);
    const method = route?.kind === 'method' ? route.method : undefined;
    const openAi = /^\/v1(?:beta|alpha)?\/openai\//.test(url.pathname);
    const uploadId = url.pathname.startsWith('/upload/') ? url.searchParams.get('upload_id') : null;
    const uploadProtocol = (request.headers.get('x-goog-upload-protocol') ?? '').toLowerCase();

    // The body: buffered when it may be replayed, else streamed once.
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
    const streamOnce =
      hasBody &&
      (uploadId !== null ||
        (url.pathname.startsWith('/upload/') && uploadProtocol !== 'resumable') ||
        !(Number.isFinite(declared) ? declared <= replayable : isJson(request.headers)));
    let bodyText: string | undefined;
    let bodyBytes: Uint8Array<ArrayBuffer> | undefined;
    if (hasBody && !streamOnce) {
      // Read whole even past `replayable` (a chunked body declares no length): once read, the bytes
      // are the only copy, so they go upstream as they are (the gateway's body limit caps them).
      bodyBytes = new Uint8Array(await request.arrayBuffer());
    }
    if (bodyBytes && isJson(request.headers)) bodyText = Buffer.from(bodyBytes).toString('utf8');
    let parsedBody: unknown;
    if (bodyText !== undefined) {
      try {
        parsedBody = JSON.parse(bodyText);
      } catch {
        parsedBody = undefined; // upstream answers bad JSON in its own words
      }
    }

    // Which resources the call names, and who owns them.
    const named = [
      ...(uploadId ? [`upload:${uploadId}`] : []),
      ...(resourceInPath(url.pathname) ? [resourceInPath(url.pathname)!] : []),
      ...(parsedBody !== undefined ? resourcesInBody(parsedBody) : []),
    ];
    if (method && NATIVE_METHODS.has(method) && named.length === 0 && options.native && !openAi) {
      // Nothing project-scoped: the native route's full remedies (model fallback included) apply.
      if (!bodyBytes) return options.native(request, context);
      // The body read here goes along with the request: no second Request, no second JSON parse.
      const text = bodyText ?? Buffer.from(bodyBytes).toString('utf8');
      const body = { text, bytes: bodyBytes.byteLength, ...(parsedBody !== undefined ? { value: parsedBody } : {}) };
      return options.native(request, { ...context, body });
    }
    let owner: string | undefined;
    for (const name of named) owner ??= await owners.get(name);

    const kind: CallKind = streamOnce
      ? 'once'
      : request.method === 'GET' || request.method === 'HEAD'
        ? 'read'
        : openAi || (method && PURE_METHODS.has(method))
          ? 'pure'
          : 'create';

    // The models to try: the one asked for, then the config's chain (OpenAI layer and embeddings only).
    const askedModel = openAi
      ? typeof (parsedBody as { model?: unknown } | undefined)?.model === 'string'
        ? bareModelName((parsedBody as { model: string }).model)
        : undefined
      : route?.kind === 'method'
        ? bareModelName(route.model)
        : undefined;
    const chain =
      askedModel && (openAi || (method && EMBED_METHODS.has(method)))
        ? [askedModel, ...(options.fallbacks?.[askedModel] ?? [])]
        : [askedModel];

    if (request.method === 'GET' && LIST_PATH.test(url.pathname) && !openAi) {
      const merged = await mergedList(request, url);
      if (merged) return merged;
    }

    const tried = new Set<string>();
    const failedProjects = new Set<string>();
    let last: Attempted | undefined;
    let attempts = 0;
    /** The soonest reset of the pairs skipped because they are parked. */
    let parkedTill: number | undefined;
    const available = projects();
    const order = owner ? [owner] : [...available.keys()];
    if (owner && !available.has(owner)) {
      // The owner's keys are all out: nothing else can see the resource.
      order.splice(0, order.length);
    }

    for (const model of chain) {
      let projectIndex = 0;
      while (attempts < maxAttempts && projectIndex < order.length && !request.signal.aborted) {
        const project = order[projectIndex]!;
        const keys = (available.get(project) ?? []).filter(
          (entry) => !entry.disabled && !tried.has(`${model}|${entry.key}`),
        );
        const entry = keys[0];
        if (!entry || failedProjects.has(project)) {
          projectIndex++;
          continue;
        }
        // A pair parked by a spent day (here or on the native route) is not asked again before its reset.
        const parkedUntil = model ? client.keys.parkedUntil(project, model, clock.now()) : undefined;
        if (parkedUntil !== undefined) {
          parkedTill = Math.min(parkedTill ?? parkedUntil, parkedUntil);
          projectIndex++;
          continue;
        }
        tried.add(`${model}|${entry.key}`);
        client.keys.markUsed(entry);
        attempts++;

        // Pacing for embeddings: book a slot for (project, model) before sending.
        let release: (outcome: { sent: boolean }) => void = () => undefined;
        if (method && EMBED_METHODS.has(method) && model) {
          const tokens = embeddingTokens(parsedBody, bodyBytes?.byteLength ?? 0);
          const slot = await client.pacer.reserve(project, model, tokens, clock.now());
          release = slot.release;
          if (slot.dayFull) {
            release({ sent: false });
            // The day is spent: park the pair where parks live, as the native route does.
            parkSpentDay(client.keys, client.events, project, model, slot.at);
            parkedTill = Math.min(parkedTill ?? slot.at, slot.at);
            failedProjects.add(project);
            projectIndex++;
            continue;
          }
          const wait = slot.at - clock.now();
          if (wait > 0) {
            try {
              await clock.sleep(Math.min(wait, PASS_THROUGH_DEFAULTS.maxWaitMs), request.signal);
            } catch {
              release({ sent: false });
              break;
            }
          }
        }

        const target = upstreamUrl(upstream, url);
        let body: Uint8Array | string | ReadableStream<Uint8Array> | undefined = bodyBytes;
        if (model && model !== askedModel && askedModel) {
          target.pathname = target.pathname.replace(`/models/${askedModel}:`, `/models/${model}:`);
          if (parsedBody !== undefined) body = JSON.stringify(withModel(parsedBody, askedModel, model, openAi));
        }
        const headers = upstreamHeaders(request.headers, entry.key, openAi);
        if (streamOnce) {
          // The client's own body, once: its declared length goes along, as a plain proxy sends it.
          body = request.body ?? undefined;
          if (Number.isFinite(declared)) headers.set('content-length', String(declared));
        }
        // The transport sends (the client's Node stream itself when it has one) and makes the error.
        const outcome = await sendStreamed({
          url: target,
          method: request.method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: request.signal,
          keyHint: entry.hint,
          secrets,
          clock,
          ...(model ? { model } : {}),
          ...(quotaDayMs !== undefined ? { quotaDayMs } : {}),
          ...(options.pool ? { pool: options.pool } : {}),
        });
        release({ sent: outcome.ok || outcome.reachedUpstream });
        if (outcome.ok) return finish(outcome, entry.project, request, url);
        const { error } = outcome;
        if (!outcome.answer) {
          last = { error, key: entry };
          if (request.signal.aborted || kind === 'once') break;
          if (kind === 'create' && outcome.reachedUpstream) break;
          continue;
        }

        // A failed answer: upstream's own words go back to the client; the error says what it is about.
        last = { answer: outcome.answer, error, key: entry };
        if (model && (error.kind === 'rate_limited' || error.kind === 'quota_exhausted')) {
          client.pacer.learn(project, model, error, clock.now());
        }
        if (model && error.kind === 'quota_exhausted') park(project, model, error);
        if (kind === 'once') break;
        if (error.blame === 'key') {
          client.keys.disable(entry, `${error.kind}: ${error.message.slice(0, 200)}`);
          continue;
        }
        if (
          error.blame === 'resource' ||
          error.blame === 'project' ||
          (error.httpStatus === 403 && named.length > 0) ||
          (error.httpStatus === 404 && named.length > 0 && !method)
        ) {
          // Another project may see it (unless we know the owner); no key is taken out for it.
          failedProjects.add(project);
          projectIndex++;
          continue;
        }
        const retryable =
          kind === 'create'
            ? error.kind === 'rate_limited' || error.httpStatus === 503
            : error.retryable || error.kind === 'rate_limited';
        if (!retryable) break;
        // Another project first; then the next model of the chain; the same project again after the server's delay.
        const nextProject = order.slice(projectIndex + 1).find((candidate) => !failedProjects.has(candidate));
        if (nextProject && !owner) {
          projectIndex++;
          continue;
        }
        if (model !== chain[chain.length - 1]) break;
        const delay = Math.min(
          error.retryAfterMs ?? PASS_THROUGH_DEFAULTS.backoffMs * attempts,
          PASS_THROUGH_DEFAULTS.maxWaitMs,
        );
        try {
          await clock.sleep(delay, request.signal);
        } catch {
          break;
        }
        // Same project: rotate to its next key, or to the same key again when it is the only one.
        if (keys.length <= 1) tried.delete(`${model}|${entry.key}`);
      }
      if (last && !last.error.retryable && last.error.kind !== 'rate_limited' && last.error.blame !== 'resource') break;
      if (attempts >= maxAttempts || request.signal.aborted) break;
    }
    if (!last && parkedTill !== undefined && askedModel) return parkedAnswer(askedModel, parkedTill, attempts);
    return failure(last, named, owner, attempts);
  };

  /** Parks a pair whose quota is spent, as the native route's policy does (see policy/rules.ts). */
  function park(project: string, model: string, error: GeminiError): void {
    const until = error.resetAt ?? Number.POSITIVE_INFINITY;
    const reason = error.resetAt !== undefined ? 'daily quota spent' : 'no quota for this model on this tier';
    parkPair(client.keys, client.events, { project, model, until, reason });
  }

  /** The answer when every project is parked for the model: a 429 that says when the soonest resets. */
  function parkedAnswer(model: string, until: number, attempts: number): Response {
    const now = clock.now();
    const finite = Number.isFinite(until);
    const error = createGeminiError({
      kind: 'quota_exhausted',
      retryable: false,
      model,
      httpStatus: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: finite
        ? `Every project of this gateway has spent its quota for ${model}; the soonest resets at ${new Date(until).toISOString()}.`
        : `No project of this gateway has quota for ${model} on its tier.`,
      ...(finite ? { retryAfterMs: Math.max(0, until - now), resetAt: until } : {}),
    });
    return new Response(`${JSON.stringify(geminiErrorBody(error), null, 2)}\n`, {
      status: httpStatusFor(error),
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        ...(finite ? { 'retry-after': String(Math.max(1, Math.ceil((until - now) / 1000))) } : {}),
        'x-gemwarden-attempts': String(attempts),
        'x-gemwarden-kind': error.kind,
      },
    });
  }

  /**
   * A list of project-scoped resources (files, caches, batches …) asked of every project, merged:
   * each project sees only its own. One page holds at most the client's pageSize across projects,
   * filled by list-pages.ts, whose page token (opaque) carries the project to go on with and its own
   * token. Undefined when the gateway has one project, the token is not the gateway's, or the first
   * page's first request fails (the plain pass-through then answers, with its retries); a later
   * failure is the upstream's answer as it came.
   */
  async function mergedList(request: Request, url: URL): Promise<Response | undefined> {
    const available = projects();
    if (available.size < 2) return undefined;
    const token = url.searchParams.get('pageToken') ?? url.searchParams.get('page_token');
    const cursor = token ? decodeCursor(token) : undefined;
    if (token && !cursor) return undefined; // not ours: an upstream token, passed through
    const collection = LIST_PATH.exec(url.pathname)?.[1] ?? '';
    const listField = collection === 'batches' ? 'operations' : collection;
    const asked = url.searchParams.get('pageSize') ?? url.searchParams.get('page_size');
    const pageSize = asked === null ? (DEFAULT_PAGE_SIZE[collection] ?? 10) : Number(asked);
    // A size the upstream would refuse is its to refuse, in its own words.
    if (!Number.isInteger(pageSize) || pageSize < 1) return undefined;
    let headers: Headers | undefined;
    let fetched = 0;
    const filled = await fillPage<Response | undefined>({
      projects: [...available.keys()].sort(),
      cursor,
      pageSize,
      fetchPage: async (project, size, pageToken) => {
        const target = upstreamUrl(upstream, url);
        target.searchParams.delete('page_token');
        target.searchParams.delete('page_size');
        target.searchParams.set('pageSize', String(size));
        if (pageToken) target.searchParams.set('pageToken', pageToken);
        else target.searchParams.delete('pageToken');
        const first = fetched++ === 0 && !cursor;
        const key = available.get(project)![0]!;
        let answer: Response;
        try {
          answer = await send(target, { headers: upstreamHeaders(request.headers, key.key), signal: request.signal });
        } catch (thrown) {
          if (first) return { failure: undefined };
          // A later page cannot be handed to the plain pass-through (its token is the gateway's).
          return { failure: await failure({ error: toGeminiError(thrown, { secrets }), key }, [], undefined, 1) };
        }
        if (answer.status !== 200) {
          if (first) {
            await answer.body?.cancel();
            return { failure: undefined };
          }
          return { failure: answer };
        }
        headers ??= clientHeaders(answer.headers, upstream, url.origin);
        const value = (await answer.json()) as Record<string, unknown>;
        const list = Array.isArray(value[listField]) ? (value[listField] as unknown[]) : [];
        await record(resourcesInAnswer({ [listField]: list }), project);
        return {
          items: list,
          ...(typeof value.nextPageToken === 'string' && value.nextPageToken
            ? { nextPageToken: value.nextPageToken }
            : {}),
        };
      },
    });
    if ('failure' in filled) {
      const answer = filled.failure;
      if (!answer) return undefined;
      return new Response(answer.body, {
        status: answer.status,
        statusText: answer.statusText,
        headers: clientHeaders(answer.headers, upstream, url.origin),
      });
    }
    const body: Record<string, unknown> = {};
    if (filled.items.length > 0) body[listField] = filled.items;
    if (filled.next) body.nextPageToken = encodeCursor(filled.next);
    return new Response(`${JSON.stringify(body, null, 2)}\n`, {
      status: 200,
      headers: headers ?? { 'content-type': 'application/json; charset=UTF-8' },
    });
  }

  /** A successful answer: owners recorded from it, the body passed through untouched. */
  async function finish(answer: StreamedAnswer, project: string, request: Request, url: URL): Promise<Response> {
    const headers = clientHeaders(answer.headers, upstream, url.origin);
    // A key given without its project is its own project, named after its hint ("key…abcd#1"):
    // the ellipsis cannot go in a header as it is.
    headers.set('x-gemwarden-project', headerSafe(project));
    const uploadUrl = answer.headers.get('x-goog-upload-url');
    if (uploadUrl) {
      const id = safeUrl(uploadUrl)?.searchParams.get('upload_id');
      if (id) await owners.set(`upload:${id}`, project);
    }
    if (request.method === 'HEAD' || NULL_BODY_STATUSES.has(answer.status)) {
      answer.body.resume(); // nothing to pass on: let the connection go back to the pool
      return new Response(null, { status: answer.status, headers });
    }
    const streaming = url.searchParams.get('alt') === 'sse' || url.searchParams.get('alt') === 'media';
    const small = Number(answer.headers.get('content-length') ?? 0) <= 32 * 1024 * 1024;
    if (!isJson(answer.headers) || streaming || !small || url.pathname.includes(':streamGenerateContent')) {
      return new Response(pulledStream(answer.body), { status: answer.status, headers });
    }
    const text = await readStreamText(answer.body);
    try {
      const names = resourcesInAnswer(JSON.parse(text));
      await record(names, project);
      if (request.method === 'DELETE') {
        const gone = resourceInPath(url.pathname);
        if (gone) await owners.delete(gone);
      }
    } catch {
      // not JSON after all: nothing to learn
    }
    return new Response(text, { status: answer.status, headers });
  }

  /** The last failure as the client gets it: upstream's own answer, plus gemwarden's word when it is about a resource. */
  async function failure(
    last: Attempted | undefined,
    named: string[],
    owner: string | undefined,
    attempts: number,
  ): Promise<Response> {
    if (!last) {
      const message = owner
        ? `The project that owns ${named[0]} has no usable key in this gateway: its keys are out (see /status).`
        : 'No usable key in this gateway: every key is out (see /status).';
      return new Response(JSON.stringify({ error: { code: 503, message, status: 'UNAVAILABLE' } }, null, 2), {
        status: 503,
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'x-gemwarden-attempts': String(attempts),
          'x-gemwarden-kind': 'unavailable',
        },
      });
    }
    if (!last.answer) {
      const info = gemwardenInfo(last.error);
      return new Response(
        JSON.stringify(
          { error: { code: 503, message: last.error.message, status: 'UNAVAILABLE', gemwarden: info } },
          null,
          2,
        ),
        {
          status: 503,
          headers: {
            'content-type': 'application/json; charset=UTF-8',
            'x-gemwarden-attempts': String(attempts),
            'x-gemwarden-kind': last.error.kind,
          },
        },
      );
    }
    const headers = clientHeaders(last.answer.headers, upstream, 'http://unused');
    headers.set('x-gemwarden-attempts', String(attempts));
    headers.set('x-gemwarden-kind', last.error.kind);
    let text = last.answer.text;
    const aboutResource = named.length > 0 && (last.answer.status === 403 || last.answer.status === 404);
    if (aboutResource) {
      try {
        const value = JSON.parse(text) as unknown;
        const envelope = (Array.isArray(value) ? value[0] : value) as { error?: Record<string, unknown> };
        if (envelope?.error && typeof envelope.error === 'object') {
          const info = gemwardenInfo(last.error);
          const resource = named.find((name) => !name.startsWith('upload:')) ?? named[0]!;
          info.explanation = owner
            ? `${resource} belongs to project ${owner}, and its key could not see it: it has expired (files live 48 hours), was deleted, or never existed.`
            : `No project of this gateway can see ${resource}: it belongs to a project whose key the gateway does not hold, or it has expired (files live 48 hours) or was deleted.`;
          info.remedies = [
            'Upload the file (or create the cache) again through the gateway, so the gateway knows which project owns it.',
            'Give the gateway a key of the project that owns it.',
          ];
          envelope.error.gemwarden = info;
          text = `${JSON.stringify(value, null, 2)}\n`;
        }
      } catch {
        // upstream's body stays as it was
      }
    }
    return new Response(text, { status: last.answer.status, headers });
  }
}

/**
 * Input tokens of an embedding call for pacing: its texts (`content.parts` of embedContent, of each
 * of batchEmbedContents' `requests`), estimated as the library's batchEmbedContents estimates them.
 * The JSON around the texts (field names, model names, options) is not input; counting the body's
 * bytes as tokens charged a batch of short texts about twice its tokens against TPM. Other shapes
 * (asyncBatchEmbedContent) fall back to a quarter of the body's bytes.
 */
function embeddingTokens(body: unknown, bytes: number): number {
  const entries = Array.isArray((body as { requests?: unknown } | undefined)?.requests)
    ? (body as { requests: unknown[] }).requests
    : [body];
  const parts = entries.flatMap((entry) => {
    const found = (entry as { content?: { parts?: unknown } } | null | undefined)?.content?.parts;
    return Array.isArray(found) ? (found as Part[]) : [];
  });
  if (parts.length === 0) return Math.ceil(bytes / 4);
  return estimateRequestTokens({ contents: [{ role: 'user', parts }] });
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** The body with the model swapped for a fallback: OpenAI's `model`, or each embed request's `model`. */
function withModel(body: unknown, from: string, to: string, openAi: boolean): unknown {
  if (body === null || typeof body !== 'object') return body;
  const copy = { ...(body as Record<string, unknown>) };
  if (openAi) copy.model = to;
  if (Array.isArray(copy.requests)) {
    copy.requests = copy.requests.map((item: unknown) =>
      item &&
      typeof item === 'object' &&
      typeof (item as { model?: unknown }).model === 'string' &&
      bareModelName((item as { model: string }).model) === from
        ? { ...item, model: `models/${to}` }
        : item,
    );
  }
  if (typeof copy.model === 'string' && !openAi && bareModelName(copy.model) === from) copy.model = `models/${to}`;
  return copy;
}
