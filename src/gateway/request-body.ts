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

/** Deepest nesting of objects and arrays accepted in a request body. */
export const MAX_JSON_DEPTH = 100;

/**
 * The deepest nesting of `{`/`[` in a JSON text, counted outside strings, stopping early once past
 * `limit`. Done before parsing so that no later recursive walk (validation, re-encoding) can
 * overflow the stack on hostile input.
 */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}

/** True when any object in `value` has an own `__proto__` key (JSON.parse keeps it as data). */
function hasProtoKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (!Array.isArray(next) && Object.prototype.hasOwnProperty.call(next, '__proto__')) return true;
    for (const child of Object.values(next)) if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return false;
}

/**
 * Parses a body that must be a JSON object; messages follow the API's "Invalid JSON payload" wording.
 * Refused as the request's fault (400): empty bodies, invalid JSON, non-objects, nesting deeper than
 * MAX_JSON_DEPTH, and a `__proto__` key anywhere (no Gemini or OpenAI field has that name; left in,
 * code that copies objects by assignment would take it as a prototype).
 */
export function parseJsonBody(
  text: string,
  /** `JSON.parse(text)` when a route before already parsed it (saves a second parse of a large body). */
  parsedBefore?: unknown,
): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { error: 'The request body is empty: send a JSON object.' };
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    return { error: `Invalid JSON payload received. Nesting deeper than ${MAX_JSON_DEPTH} levels.` };
  let value: unknown = parsedBefore;
  try {
    if (value === undefined) value = JSON.parse(text) as unknown;
  } catch (error) {
    return { error: `Invalid JSON payload received. ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: 'Invalid JSON payload received. The body must be a JSON object.' };
  if (hasProtoKey(value))
    return { error: 'Invalid JSON payload received. Unknown name "__proto__": Cannot find field.' };
  return { value: value as Record<string, unknown> };
}
