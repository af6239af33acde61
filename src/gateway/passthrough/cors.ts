// CORS for browser apps: off unless origins are configured (`cors: { origins: [...] }`). A preflight
// (OPTIONS with Access-Control-Request-Method) from an allowed origin is answered by the gateway
// itself; other answers to an allowed origin carry Access-Control-Allow-Origin and expose the
// headers a browser SDK reads (resumable upload URL and status, gemwarden's own).
// Source: the Fetch standard's CORS protocol (https://fetch.spec.whatwg.org/#http-cors-protocol).

export interface CorsOptions {
  /** Allowed origins, e.g. ["https://app.example.com"]; "*" allows any origin. */
  origins: readonly string[];
  /** How long a browser may cache a preflight answer, seconds (default 600). */
  maxAgeSeconds?: number | undefined;
}

const EXPOSED = [
  'x-goog-upload-url',
  'x-goog-upload-status',
  'x-goog-upload-size-received',
  'x-goog-upload-chunk-granularity',
  'retry-after',
  'x-gemwarden-kind',
  'x-gemwarden-attempts',
  'x-gemwarden-model',
].join(', ');

function allowed(options: CorsOptions, origin: string | null): origin is string {
  return origin !== null && (options.origins.includes('*') || options.origins.includes(origin));
}

/** Wraps a handler with CORS (see the file header); the identity when no origin is configured. */
export function withCors<A extends unknown[]>(
  handler: (request: Request, ...rest: A) => Promise<Response>,
  options: CorsOptions | undefined,
): (request: Request, ...rest: A) => Promise<Response> {
  if (!options || options.origins.length === 0) return handler;
  return async (request, ...rest) => {
    const origin = request.headers.get('origin');
    const preflight = request.method === 'OPTIONS' && request.headers.has('access-control-request-method');
    if (preflight) {
      if (!allowed(options, origin)) return new Response(null, { status: 403, headers: { vary: 'Origin' } });
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers':
            request.headers.get('access-control-request-headers') ?? 'content-type, x-goog-api-key, authorization',
          'access-control-max-age': String(options.maxAgeSeconds ?? 600),
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
      });
    }
    const response = await handler(request, ...rest);
    if (!allowed(options, origin)) return response;
    const headers = new Headers(response.headers);
    headers.set('access-control-allow-origin', origin);
    headers.set('access-control-expose-headers', EXPOSED);
    headers.append('vary', 'Origin');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
