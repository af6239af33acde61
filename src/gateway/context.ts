// What the route handlers share, and the early rejection every route answers in its own format.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GeminiClient } from '../client/index.js';
import { errorEnvelope, renderErrorBody } from '../wire/index.js';
import type { ClientToken } from './auth.js';
import type { GatewayMetrics } from './metrics.js';
import { openAiError } from './openai-errors.js';

export interface GatewayContext {
  client: GeminiClient;
  metrics: GatewayMetrics;
  tokens: readonly ClientToken[];
  bodyLimitBytes: number;
}

export const OPEN_PATHS = new Set(['/healthz', '/readyz']);

export function isOpenAiPath(url: string): boolean {
  return url.startsWith('/v1/chat/') || url === '/v1/models' || url.startsWith('/v1/models?');
}

/** Answers an early failure (auth, body) in the route's own format. */
export function rejectRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  kind: string,
): FastifyReply {
  reply.header('x-gemwarden-attempts', '0');
  if (isOpenAiPath(request.url)) {
    const type = status === 401 ? 'authentication_error' : 'invalid_request_error';
    return reply
      .code(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(openAiError(message, type, kind)));
  }
  const rpc =
    status === 401 ? 'UNAUTHENTICATED' : status === 404 ? 'NOT_FOUND' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=UTF-8')
    .send(renderErrorBody(errorEnvelope(rpc, message, undefined, status)));
}
