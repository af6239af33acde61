// Fetch Responses the way Gemini writes them: pretty-printed JSON in UTF-8, error envelopes with
// their status, and request bodies read with a size limit and a deadline.
import type { Clock } from '../time/index.js';
import { bodies, JSON_TYPE, type EmulatedError } from './bodies.js';
import { EmulatorFailure } from './router.js';

/** A JSON answer, pretty-printed with two spaces as Google does. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, { status, headers: { 'content-type': JSON_TYPE } });
}

/** A prepared API error (envelope or Google's HTML page) as a Response. */
export function errorResponse(error: EmulatedError): Response {
  return new Response(error.body, {
    status: error.status,
    headers: { 'content-type': error.contentType, ...error.headers },
  });
}

/**
 * Reads a request body as UTF-8 text.
 * - More than `maxBytes` bytes (by Content-Length or as read): EmulatorFailure with Google's 400
 *   "Request payload size exceeds the limit: N bytes."
 * - Not complete within `timeoutMs` (a client sending slowly or stalling): EmulatorFailure with 408.
 * - The client going away: the signal's reason is thrown.
 */
export async function readBodyText(
  request: Request,
  options: { maxBytes: number; timeoutMs: number; clock: Clock },
): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes)
    throw new EmulatorFailure(bodies.payloadTooLarge(options.maxBytes));
  if (!request.body) return '';
  const reader = request.body.getReader();
  let timedOut = false;
  const cancelTimer = options.clock.timer(options.timeoutMs, () => {
    timedOut = true;
    reader.cancel().catch(() => undefined);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) break;
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) {
        reader.cancel().catch(() => undefined);
        throw new EmulatorFailure(bodies.payloadTooLarge(options.maxBytes));
      }
      chunks.push(value);
    }
  } catch (failure) {
    if (failure instanceof EmulatorFailure || !timedOut) throw failure;
  } finally {
    cancelTimer();
  }
  if (timedOut) throw new EmulatorFailure(bodies.bodyTimeout(options.timeoutMs));
  return Buffer.concat(chunks).toString('utf8');
}
