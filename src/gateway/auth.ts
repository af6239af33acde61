// Client tokens: callers present a configured token (Authorization: Bearer, x-goog-api-key or
// ?key=) and never see upstream keys. Comparison is constant-time.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface ClientToken {
  token: string;
  name: string;
}

export function presentedToken(headers: IncomingHttpHeaders, query: Record<string, unknown>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^Bearer\s+/i.test(authorization))
    return authorization.replace(/^Bearer\s+/i, '').trim();
  const googKey = headers['x-goog-api-key'];
  if (typeof googKey === 'string' && googKey) return googKey;
  return typeof query.key === 'string' && query.key ? query.key : undefined;
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
