// Small Fetch-API helpers shared by the emulator's resource modules: JSON answers, Google's error
// envelope, body parsing, resource ids and timestamps.
import { randomBytes } from 'node:crypto';
import { errorEnvelope, renderErrorBody, type RpcStatus } from '../../wire/index.js';
import type { EmulatedError } from '../bodies.js';
import { bodies, JSON_TYPE } from '../bodies.js';

/** A JSON answer written the way Google writes it (pretty-printed, UTF-8). */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
  });
}

/** An emulated error (status, body, content type) as a Response. */
export function errorResponse(error: EmulatedError): Response {
  return new Response(error.body, {
    status: error.status,
    headers: { 'content-type': error.contentType, ...error.headers },
  });
}

/** Google's error envelope for a status and message, as a Response. */
export function googleError(status: RpcStatus, message: string): Response {
  const envelope = errorEnvelope(status, message);
  return errorResponse({ status: envelope.error.code, body: renderErrorBody(envelope), contentType: JSON_TYPE });
}

/** Parses a JSON request body; an empty body is `{}`; bad JSON is Google's INVALID_ARGUMENT. */
export async function readJson(request: Request): Promise<{ value: Record<string, unknown> } | { error: Response }> {
  const text = await request.text();
  if (text.trim() === '') return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { error: errorResponse(bodies.invalidArgument('Invalid JSON payload received. Expected an object.')) };
    }
    return { value: value as Record<string, unknown> };
  } catch {
    return { error: errorResponse(bodies.invalidArgument('Invalid JSON payload received. Unexpected token.')) };
  }
}

/** A random resource id in the form Google uses for files and caches (lowercase letters and digits). */
export function newResourceId(length = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** RFC 3339 timestamp with microseconds, as Google formats createTime and friends. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Reads a field that may be written in camelCase or snake_case (Google accepts both). */
export function field(object: Record<string, unknown> | undefined, camel: string): unknown {
  if (!object) return undefined;
  if (camel in object) return object[camel];
  const snake = camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return object[snake];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Page through a list the way Google's list methods do: pageSize (capped) and an opaque pageToken. */
export function paginate<T>(
  items: readonly T[],
  url: URL,
  defaultSize: number,
  maxSize: number,
): { page: T[]; nextPageToken?: string } {
  const asked = Number(url.searchParams.get('pageSize') ?? url.searchParams.get('page_size') ?? defaultSize);
  const size = Math.min(Math.max(1, Number.isFinite(asked) && asked > 0 ? Math.floor(asked) : defaultSize), maxSize);
  const token = url.searchParams.get('pageToken') ?? url.searchParams.get('page_token') ?? '';
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) || 0 : 0;
  const page = items.slice(start, start + size);
  const next = start + size;
  return next < items.length ? { page, nextPageToken: Buffer.from(String(next)).toString('base64url') } : { page };
}
