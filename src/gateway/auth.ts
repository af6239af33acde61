// Client tokens: callers present a configured token (Authorization: Bearer, x-goog-api-key or
// ?key=) and never see upstream keys. Comparison is constant-time.
import { timingSafeEqual } from 'node:crypto';

export interface ClientToken {
  token: string;
  name: string;
}

/** The token a request presents: `Authorization: Bearer`, then `x-goog-api-key`, then `?key=`. */
export function presentedToken(headers: Pick<Headers, 'get'>, query: URLSearchParams): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization && /^Bearer\s+/i.test(authorization)) return authorization.replace(/^Bearer\s+/i, '').trim();
  const googKey = headers.get('x-goog-api-key');
  if (googKey) return googKey;
  return query.get('key') || undefined;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The client a token belongs to, or undefined. */
export function authenticate(tokens: readonly ClientToken[], presented: string | undefined): ClientToken | undefined {
  if (!presented) return undefined;
  return tokens.find((client) => same(client.token, presented));
}
