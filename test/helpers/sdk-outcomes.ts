// What an SDK call came to, reduced to what a caller can see and compare: the shape of an answer
// (member names and value types, not values that differ per call such as resource ids), or the
// error's HTTP status and Google's status and message. The gateway's own additions (the
// `gemwarden` member of an error body, `x-gemwarden-*` headers) are left out: they are allowed.

/** One SDK call's result, comparable between a direct call and one through the gateway. */
export type Outcome =
  | { ok: true; shape: unknown; value: unknown }
  | {
      ok: false;
      /** HTTP status from the SDK's ApiError (or the OpenAI SDK's APIError); undefined for a client-side error. */
      httpStatus: number | undefined;
      /** Google's `error.status` (e.g. NOT_FOUND) or OpenAI's `error.type`, read from the body. */
      status: string | undefined;
      /** The API's own message (or the SDK's, for an error raised before any request). */
      message: string;
    }
  | { ok: false; hung: true };

/** The structure of a JSON-like value: objects by sorted keys, arrays by their elements' shapes, scalars by type. */
export function shapeOf(value: unknown, ignore: ReadonlySet<string> = DEFAULT_IGNORED): unknown {
  if (Array.isArray(value)) return value.map((item) => shapeOf(item, ignore));
  if (value instanceof Uint8Array) return 'bytes';
  if (value && typeof value === 'object') {
    const shape: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (ignore.has(key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function') continue;
      shape[key] = shapeOf(item, ignore);
    }
    return shape;
  }
  return value === null ? 'null' : typeof value;
}

/** SDK bookkeeping that differs per transport and is not part of the API's answer. */
const DEFAULT_IGNORED: ReadonlySet<string> = new Set(['sdkHttpResponse']);

/** Google's error body as the SDK's ApiError message carries it ("got status: 404 … {json}"). */
function errorBody(error: {
  message?: string;
  error?: unknown;
}): { status?: string | undefined; message?: string | undefined } | undefined {
  if (error.error && typeof error.error === 'object') {
    // openai's APIError keeps the parsed body's `error` member.
    const body = error.error as { type?: string; status?: string; message?: string; code?: unknown };
    return {
      status: body.status ?? body.type ?? (typeof body.code === 'string' ? body.code : undefined),
      message: body.message,
    };
  }
  const text = error.message ?? '';
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(text.slice(start)) as unknown;
    const inner = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: { status?: string; message?: string } };
    return inner.error ?? undefined;
  } catch {
    return undefined;
  }
}

/** Runs one call and reduces its result; a call that neither answers nor fails within `hangMs` is a hang. */
export async function outcomeOf(call: () => Promise<unknown>, hangMs = 10_000): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), hangMs);
  });
  try {
    const value = await Promise.race([call(), hang]);
    if (value === 'hang') return { ok: false, hung: true };
    return { ok: true, shape: shapeOf(value), value };
  } catch (caught) {
    const error = caught as { status?: number; message?: string; error?: unknown };
    const body = errorBody(error);
    return {
      ok: false,
      httpStatus: typeof error.status === 'number' ? error.status : undefined,
      status: body?.status,
      message: body?.message ?? String(error.message ?? caught),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Text for a report line: `200 {shape}` or `404 NOT_FOUND: message`. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.ok) return `ok ${JSON.stringify(outcome.shape).slice(0, 160)}`;
  if ('hung' in outcome) return 'HUNG';
  return `${outcome.httpStatus ?? 'client'} ${outcome.status ?? ''}: ${outcome.message.slice(0, 160)}`;
}
