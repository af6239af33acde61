// The gateway's router: an ordered list of Fetch-style routes, the first that matches answers.
// Every part of the gateway (Gemini-native, OpenAI-compatible, pass-through, operations) is a
// `FetchHandler`, so each can be called in process with a `Request` and mounted here with one line.

/** What the server knows about a request beyond the `Request` itself. */
export interface RequestContext {
  /** The parsed request URL (path and query as the client sent them). */
  url: URL;
  /** The configured client name whose token the request presented; undefined when auth is off. */
  clientName?: string;
  /**
   * The request body when a route before this one already read it (the pass-through reads a model
   * call's body to find cited files and caches): its text, its size in bytes, and its JSON value
   * when it parsed. The answering route uses it instead of building a second `Request` and parsing
   * the JSON again.
   */
  body?: { text: string; bytes: number; value?: unknown };
}

/**
 * The one handler shape of gemwarden's servers (Fetch API): a `Request` in, a `Response` out.
 * `request.signal` aborts when the client disconnects before the answer is complete.
 */
export type FetchHandler = (request: Request, context: RequestContext) => Promise<Response>;

/** One route: which methods and paths it serves, and its handler. */
export interface Route {
  /** A name for logs and metrics (e.g. "gemini", "openai", "ops"). */
  name: string;
  /** HTTP methods served; undefined serves every method. */
  methods?: readonly string[];
  /** A fixed path, a pattern over the path, or a predicate on the whole request. */
  path: string | RegExp | ((url: URL, request: Request) => boolean);
  handler: FetchHandler;
}

/** The route a request belongs to, or undefined when none matches. */
export function matchRoute(routes: readonly Route[], request: Request, url: URL): Route | undefined {
  return routes.find((route) => {
    if (route.methods && !route.methods.includes(request.method)) return false;
    if (typeof route.path === 'string') return route.path === url.pathname;
    if (route.path instanceof RegExp) return route.path.test(url.pathname);
    return route.path(url, request);
  });
}

/** A handler that answers with the first matching route, else with `notFound`. */
export function createRouter(routes: readonly Route[], notFound: FetchHandler): FetchHandler {
  return (request, context) => {
    const route = matchRoute(routes, request, context.url);
    return (route?.handler ?? notFound)(request, context);
  };
}
