// cachedContents as Google serves them: create (with the real minimum-token 400), get, list, patch
// of ttl / expireTime, delete. Each cache belongs to the project whose key created it and expires at
// its expireTime on the emulated clock; any other project gets Google's 403.
// Source: https://ai.google.dev/api/caching and https://ai.google.dev/gemini-api/docs/caching
import { parseDuration, type ApiVersion, type Content } from '../../wire/index.js';
import { bodies } from '../bodies.js';
import { countContentTokens, countTextTokens } from '../tokens.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import { FileStore, fileForbidden } from './files.js';
import {
  errorResponse,
  field,
  googleError,
  isObject,
  jsonResponse,
  newResourceId,
  paginate,
  readJson,
  timestamp,
} from './http.js';

/** Smallest cache per model family, tokens (Google's "Cached content is too small" floor). */
export function minimumCacheTokens(model: string): number {
  return /pro/.test(model) ? 4096 : 1024;
}

/** Default lifetime of a cache with no ttl or expireTime: one hour (emulated minutes). */
const DEFAULT_TTL_MINUTES = 60;

export interface StoredCache {
  id: string;
  project: string;
  model: string;
  displayName?: string;
  contents: Content[];
  systemInstruction?: Content;
  tools?: unknown;
  toolConfig?: unknown;
  tokens: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

export function cacheForbidden(): Response {
  return googleError('PERMISSION_DENIED', 'CachedContent not found (or permission denied)');
}

export class CacheStore {
  private caches = new Map<string, StoredCache>();

  constructor(
    private readonly context: ResourceContext,
    private readonly files: FileStore,
  ) {}

  /** The cache if `project` may use it now. */
  visible(id: string, project: string): StoredCache | undefined {
    const cache = this.caches.get(id);
    if (!cache || cache.project !== project) return undefined;
    if (cache.expiresAt <= this.context.now()) {
      this.caches.delete(id);
      return undefined;
    }
    return cache;
  }

  private toWire(cache: StoredCache): Record<string, unknown> {
    return {
      name: `cachedContents/${cache.id}`,
      model: `models/${cache.model}`,
      ...(cache.displayName ? { displayName: cache.displayName } : {}),
      createTime: timestamp(cache.createdAt),
      updateTime: timestamp(cache.updatedAt),
      expireTime: timestamp(cache.expiresAt),
      usageMetadata: { totalTokenCount: cache.tokens },
    };
  }

  /** When a cache asked for ttl / expireTime ends; undefined plus a Response when the value is bad. */
  private expiry(body: Record<string, unknown>, now: number): { at?: number; error?: Response } {
    const ttl = field(body, 'ttl');
    const expireTime = field(body, 'expireTime');
    if (ttl !== undefined) {
      const ms = parseDuration(ttl);
      if (ms === undefined || ms < 0) {
        return {
          error: errorResponse(
            bodies.invalidArgument(
              `Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf.Duration), "${echoed(ttl)}"`,
            ),
          ),
        };
      }
      // A ttl counts in real seconds; scaled to the emulated clock like every other duration.
      return { at: now + (ms / 60_000) * this.context.minuteMs() };
    }
    if (expireTime !== undefined) {
      const at = typeof expireTime === 'string' ? Date.parse(expireTime) : Number.NaN;
      if (!Number.isFinite(at)) {
        return {
          error: errorResponse(
            bodies.invalidArgument(
              `Invalid value at 'cached_content.expire_time' (type.googleapis.com/google.protobuf.Timestamp), "${echoed(expireTime)}"`,
            ),
          ),
        };
      }
      return { at };
    }
    return {};
  }

  /** Tokens of the cached parts; a cited text file counts by its size, other media as one media part. */
  private countTokens(caller: ResourceCaller, contents: Content[], systemInstruction?: Content): number | Response {
    let tokens = countContentTokens(contents) + (systemInstruction ? countContentTokens([systemInstruction]) : 0);
    for (const content of contents) {
      for (const part of content.parts ?? []) {
        const uri = part.fileData?.fileUri;
        if (!uri) continue;
        const id = FileStore.idFromUri(uri);
        if (!id) continue;
        const file = this.files.visible(id, caller.key.project);
        this.context.countResource(`files/${id}`, caller.key.project);
        if (!file) return fileForbidden(id);
        if (file.mimeType.startsWith('text/') && file.bytes)
          tokens += countTextTokens(file.bytes.toString('utf8')) - 258;
      }
    }
    return tokens;
  }

  /** /{version}/cachedContents[/{id}] */
  async handle(
    caller: ResourceCaller,
    request: Request,
    url: URL,
    version: ApiVersion,
    rest: string,
  ): Promise<Response> {
    const project = caller.key.project;
    const now = this.context.now();
    if (rest === '') {
      if (request.method === 'GET') {
        const mine = [...this.caches.values()]
          .filter((cache) => cache.project === project && cache.expiresAt > now)
          .sort((a, b) => b.createdAt - a.createdAt);
        const { page, nextPageToken } = paginate(mine, url, 100, 1000);
        return jsonResponse({
          ...(page.length > 0 ? { cachedContents: page.map((cache) => this.toWire(cache)) } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
        });
      }
      if (request.method !== 'POST') return errorResponse(bodies.methodNotFound());
      return this.create(caller, request, version, now);
    }

    const id = rest;
    this.context.countResource(`cachedContents/${id}`, project);
    const cache = this.visible(id, project);
    if (!cache) return cacheForbidden();
    if (request.method === 'GET') return jsonResponse(this.toWire(cache));
    if (request.method === 'DELETE') {
      this.caches.delete(id);
      return jsonResponse({});
    }
    if (request.method === 'PATCH') {
      const parsed = await readJson(request);
      if ('error' in parsed) return parsed.error;
      const expiry = this.expiry(parsed.value, now);
      if (expiry.error) return expiry.error;
      if (expiry.at === undefined) {
        return errorResponse(bodies.invalidArgument('Only ttl or expire_time can be updated.'));
      }
      cache.expiresAt = expiry.at;
      cache.updatedAt = now;
      return jsonResponse(this.toWire(cache));
    }
    return errorResponse(bodies.methodNotFound());
  }

  private async create(caller: ResourceCaller, request: Request, version: ApiVersion, now: number): Promise<Response> {
    const parsed = await readJson(request);
    if ('error' in parsed) return parsed.error;
    const body = parsed.value;
    const modelField = body.model;
    if (typeof modelField !== 'string' || modelField === '') {
      return errorResponse(bodies.invalidArgument('* CachedContent.model: model is not specified\n'));
    }
    const model = modelField.replace(/^models\//, '');
    if (!this.context.state.models.has(model)) {
      return errorResponse(bodies.modelNotFound(model, version, 'createCachedContent'));
    }
    const contents = Array.isArray(body.contents) ? (body.contents as Content[]) : [];
    const systemInstruction = field(body, 'systemInstruction');
    const system = isObject(systemInstruction) ? (systemInstruction as unknown as Content) : undefined;
    const tokens = this.countTokens(caller, contents, system);
    if (tokens instanceof Response) return tokens;
    const minimum = minimumCacheTokens(model);
    if (tokens < minimum) {
      return errorResponse(
        bodies.invalidArgument(
          `Cached content is too small. total_token_count=${tokens}, min_total_token_count=${minimum}`,
        ),
      );
    }
    const expiry = this.expiry(body, now);
    if (expiry.error) return expiry.error;
    const displayName = field(body, 'displayName');
    const cache: StoredCache = {
      id: newResourceId(),
      project: caller.key.project,
      model,
      ...(typeof displayName === 'string' ? { displayName } : {}),
      contents,
      ...(system ? { systemInstruction: system } : {}),
      ...(body.tools !== undefined ? { tools: body.tools } : {}),
      ...(field(body, 'toolConfig') !== undefined ? { toolConfig: field(body, 'toolConfig') } : {}),
      tokens,
      createdAt: now,
      updatedAt: now,
      expiresAt: expiry.at ?? now + DEFAULT_TTL_MINUTES * this.context.minuteMs(),
    };
    this.caches.set(cache.id, cache);
    this.context.countResource(`cachedContents/${cache.id}`, caller.key.project);
    return jsonResponse(this.toWire(cache));
  }
}

/** A rejected value as the error message quotes it: text as it is, anything else as JSON. */
function echoed(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
