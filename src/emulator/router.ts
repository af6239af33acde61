// The emulator's route table: each route is an HTTP method, a path pattern and a Fetch-style
// handler. The table is read top to bottom; the first route whose pattern matches the decoded path
// answers. A path that matches only with another HTTP method answers Google's 404 "Method not
// found.", as the API does.
import type { Clock } from '../time/index.js';
import type { EmulatedError } from './bodies.js';
import type { EmulatorState, KeyRecord } from './state.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route handler gets besides the Request. */
export interface RouteContext {
  state: EmulatorState;
  clock: Clock;
  /** The request URL, parsed. */
  url: URL;
  /** The path, percent-decoded, that the pattern matched. */
  path: string;
  /** When the request arrived (emulator clock, ms): quotas and fault windows count from it, as Google counts arrivals. */
  receivedAt: number;
  /** The pattern's named groups (`(?<name>…)`), decoded. */
  params: Record<string, string>;
  /**
   * The caller's key record, checked the way Gemini checks keys (missing, invalid, expired,
   * suspended …) before the handler runs. Present only on routes with `auth: 'key'`.
   */
  key: KeyRecord | undefined;
  /**
   * The request body as text, read once: at most `config.maxBodyBytes` bytes (20 MB by default)
   * and within `config.bodyTimeoutMs`. Throws {@link EmulatorFailure} with the API's 400 or 408
   * answer when either is exceeded, which the router sends.
   */
  bodyText(): Promise<string>;
  /** The emulator itself, for calls a resource makes on a caller's behalf (batches, caches, Live). */
  fetch: (request: Request) => Promise<Response>;
}

export type RouteHandler = (request: Request, context: RouteContext) => Promise<Response>;

/** One row of the route table. */
export interface EmulatorRoute {
  method: HttpMethod | readonly HttpMethod[];
  /** Matched against the whole percent-decoded path (no query); named groups become `params`. */
  pattern: RegExp;
  /**
   * 'key': the API key is required and checked first (Gemini's 400/403 answers for bad keys);
   * 'admin': the emulator's own /_emulator endpoints, not counted in stats and never key-checked.
   */
  auth: 'key' | 'admin';
  /**
   * The RPC method named in "blocked" 403s for this route (e.g. `generateContent`), from params;
   * defaults to the `method` param or the route's own name.
   */
  rpcMethod?: (params: Record<string, string>) => string;
  /** The model this request is about, for per-model stats (e.g. params.model). */
  model?: (params: Record<string, string>) => string | undefined;
  handle: RouteHandler;
}

/** Thrown by a handler (or the body reader) to answer with a prepared API error. */
export class EmulatorFailure extends Error {
  constructor(readonly error: EmulatedError) {
    super(`emulated ${error.status}`);
    this.name = 'EmulatorFailure';
  }
}

export type RouteMatch =
  { type: 'route'; route: EmulatorRoute; params: Record<string, string> } | { type: 'wrong-method' } | { type: 'none' };

/** Finds the route for a method and decoded path. */
export function matchRoute(routes: readonly EmulatorRoute[], method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const methods: readonly string[] = typeof route.method === 'string' ? [route.method] : route.method;
    if (!methods.includes(method)) {
      pathMatched = true;
      continue;
    }
    return { type: 'route', route, params: { ...found.groups } };
  }
  return pathMatched ? { type: 'wrong-method' } : { type: 'none' };
}
