// Reading a request body within the gateway's limit, and parsing it as the JSON object every
// Gemini and OpenAI method takes. Failures come back as messages for a 400/413 in the route's format.

/** A body read within the limit, or why it was refused. */
export type BodyResult = { text: string } | { status: 413 | 400; message: string };

/**
 * Reads the whole body as UTF-8 text, refusing (413) as soon as it exceeds `limitBytes`: by its
 * declared Content-Length before reading anything, else while streaming, so an oversized upload is
 * never held in memory.
 */
export async function readBodyText(request: Request, limitBytes: number): Promise<BodyResult> {
  const tooLarge = { status: 413 as const, message: `Request payload size exceeds the limit: ${limitBytes} bytes.` };
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) return tooLarge;
  if (!request.body) return { text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limitBytes) {
        await reader.cancel().catch(() => undefined);
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch {
    return { status: 400, message: 'The request body could not be read to its end.' };
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

/** Parses a body that must be a JSON object; the message follows the API's "Invalid JSON payload" wording. */
export function parseJsonBody(text: string): { value: Record<string, unknown> } | { error: string } {
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
