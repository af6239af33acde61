// An AbortSignal that fires when the client goes away before the answer is complete, so the
// upstream request is aborted too.
import type { FastifyReply } from 'fastify';

export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (reply.raw.writableFinished) return;
    controller.abort(new DOMException('The client disconnected.', 'AbortError'));
    // A client that half-closed its side would otherwise hold the socket (and a graceful shutdown) open.
    reply.raw.socket?.destroy();
  });
  return controller.signal;
}

export function parseJsonBody(body: unknown): { value?: Record<string, unknown>; error?: string } {
  const text = typeof body === 'string' ? body : '';
  if (!text.trim()) return { error: 'The request body is empty: send a JSON object.' };
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { error: 'Invalid JSON payload received. The body must be a JSON object.' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Invalid JSON payload received. ${(error as Error).message}` };
  }
}
