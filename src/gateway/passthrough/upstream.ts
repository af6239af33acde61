// One forwarded exchange: the client's request rebuilt for the upstream (same method, path, API
// version and query minus the client's `key`; the headers that carry meaning; the upstream key in
// x-goog-api-key) and the upstream's answer rebuilt for the client (hop-by-hop headers dropped,
// resumable-upload URLs pointed back at the gateway). Bodies stream both ways.

/** Request headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), the client's credentials, and what fetch sets itself. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  'authorization',
  'x-goog-api-key',
  'cookie',
  'accept-encoding',
  'expect',
]);

/** Answer headers never passed back: hop-by-hop, and the encoding fetch has already undone. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
  'trailer',
  'upgrade',
  'alt-svc',
  'set-cookie',
]);

/** The upstream URL for a client URL: same path and query, minus the client's `key`. */
export function upstreamUrl(upstream: string, clientUrl: URL): URL {
  const target = new URL(clientUrl.pathname, upstream.endsWith('/') ? upstream : `${upstream}/`);
  // new URL(path, base) drops a base path; keep one (an upstream behind a path prefix).
  const base = new URL(upstream);
  if (base.pathname !== '/' && base.pathname !== '')
    target.pathname = `${base.pathname.replace(/\/$/, '')}${clientUrl.pathname}`;
  const query = new URLSearchParams(clientUrl.search);
  query.delete('key');
  const search = query.toString();
  target.search = search ? `?${search}` : '';
  return target;
}

/** The headers to send upstream: the client's meaningful ones, and the upstream key. */
export function upstreamHeaders(client: Headers, key: string, bearer = false): Headers {
  const headers = new Headers();
  client.forEach((value, name) => {
    if (!DROPPED_REQUEST_HEADERS.has(name) && !name.startsWith('x-gemwarden-')) headers.set(name, value);
  });
  if (bearer) headers.set('authorization', `Bearer ${key}`);
  else headers.set('x-goog-api-key', key);
  headers.set('accept-encoding', 'identity');
  return headers;
}

/** Points an upload URL (x-goog-upload-url) from the upstream host back at the gateway. */
export function gatewayUploadUrl(value: string, upstream: string, gatewayOrigin: string): string {
  try {
    const url = new URL(value);
    const base = new URL(upstream);
    if (url.host !== base.host) return value;
    const prefix = base.pathname.replace(/\/$/, '');
    const path = prefix && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    return `${gatewayOrigin}${path}${url.search}`;
  } catch {
    return value;
  }
}

/** The answer headers for the client, upload URLs rewritten. */
export function clientHeaders(upstreamAnswer: Headers, upstream: string, gatewayOrigin: string): Headers {
  const headers = new Headers();
  upstreamAnswer.forEach((value, name) => {
    if (DROPPED_RESPONSE_HEADERS.has(name)) return;
    if (name === 'x-goog-upload-url' || name === 'x-goog-upload-control-url')
      headers.set(name, gatewayUploadUrl(value, upstream, gatewayOrigin));
    else headers.append(name, value);
  });
  return headers;
}
