// The Files API as Google serves it: resumable upload (start → x-goog-upload-url → upload /
// upload, finalize), multipart and raw uploads, get, list, delete and download. Each file belongs to
// the project whose key uploaded it and expires 48 hours after upload on the emulated clock; any
// other project, or anyone after expiry, gets Google's 403 PERMISSION_DENIED.
// Source: https://ai.google.dev/api/files and https://ai.google.dev/gemini-api/docs/files
import { createHash, type Hash } from 'node:crypto';
import { bodies } from '../bodies.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import {
  errorResponse,
  field,
  googleError,
  isObject,
  jsonResponse,
  newResourceId,
  paginate,
  timestamp,
} from './http.js';

/** Files live 48 hours (two emulated days). */
export const FILE_LIFETIME_DAYS = 2;
/** Google's per-file limit: 2 GB. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Bytes the emulator keeps for download and for token counting; larger files keep size and hash only. */
export const MAX_KEPT_BYTES = 64 * 1024 * 1024;
/** The chunk size Google announces for resumable uploads (x-goog-upload-chunk-granularity). */
export const CHUNK_GRANULARITY = 8 * 1024 * 1024;

export interface StoredFile {
  id: string;
  project: string;
  displayName?: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
  expiresAt: number;
  uri: string;
  /** The bytes, when the file is small enough to keep (MAX_KEPT_BYTES). */
  bytes?: Buffer;
  source: 'UPLOADED' | 'GENERATED';
}

interface UploadSession {
  project: string;
  displayName?: string;
  mimeType: string;
  declaredSize?: number;
  received: number;
  hash: Hash;
  chunks: Buffer[] | undefined;
  origin: string;
  version: string;
}

/** Google's wording for a file that is another project's, expired, deleted or never existed. */
export function fileForbidden(id: string): Response {
  return googleError('PERMISSION_DENIED', `You do not have permission to access the File ${id} or it may not exist.`);
}

export class FileStore {
  private files = new Map<string, StoredFile>();
  private sessions = new Map<string, UploadSession>();

  constructor(private readonly context: ResourceContext) {}

  /** The file if `project` may see it now; undefined when missing, foreign or expired. */
  visible(id: string, project: string): StoredFile | undefined {
    const file = this.files.get(id);
    if (!file || file.project !== project) return undefined;
    if (file.expiresAt <= this.context.now()) {
      this.files.delete(id);
      return undefined;
    }
    return file;
  }

  /** Stores a finished file (uploads and batch outputs). */
  add(file: Omit<StoredFile, 'id' | 'createdAt' | 'expiresAt' | 'uri'> & { id?: string }, origin: string): StoredFile {
    const id = file.id ?? newResourceId();
    const now = this.context.now();
    const stored: StoredFile = {
      ...file,
      id,
      createdAt: now,
      expiresAt: now + FILE_LIFETIME_DAYS * this.context.dayMs(),
      uri: `${origin}/v1beta/files/${id}`,
    };
    this.files.set(id, stored);
    return stored;
  }

  /** The wire form of a file (File resource). */
  toWire(file: StoredFile): Record<string, unknown> {
    return {
      name: `files/${file.id}`,
      ...(file.displayName ? { displayName: file.displayName } : {}),
      mimeType: file.mimeType,
      sizeBytes: String(file.sizeBytes),
      createTime: timestamp(file.createdAt),
      updateTime: timestamp(file.createdAt),
      expirationTime: timestamp(file.expiresAt),
      sha256Hash: Buffer.from(file.sha256, 'hex').toString('base64'),
      uri: file.uri,
      state: 'ACTIVE',
      source: file.source,
    };
  }

  /** POST /upload/{version}/files: resumable start, or a whole multipart/raw upload. */
  async upload(caller: ResourceCaller, request: Request, url: URL, version: string): Promise<Response> {
    const protocol = (request.headers.get('x-goog-upload-protocol') ?? url.searchParams.get('uploadType') ?? '')
      .trim()
      .toLowerCase();
    const uploadId = url.searchParams.get('upload_id');
    if (uploadId) return this.continueUpload(uploadId, request);
    if (protocol === 'resumable') return this.startResumable(caller, request, url, version);
    if (protocol === 'multipart') return this.multipart(caller, request, url);
    if (protocol === 'raw' || protocol === 'media') {
      const mimeType = request.headers.get('content-type') ?? 'application/octet-stream';
      const bytes = Buffer.from(await request.arrayBuffer());
      return this.finish(caller.key.project, { mimeType }, [bytes], url.origin);
    }
    return errorResponse(
      bodies.invalidArgument(
        'Upload protocol is not specified: send X-Goog-Upload-Protocol: resumable, multipart or raw.',
      ),
    );
  }

  private async startResumable(caller: ResourceCaller, request: Request, url: URL, version: string) {
    const command = (request.headers.get('x-goog-upload-command') ?? '').trim().toLowerCase();
    if (command !== 'start') return errorResponse(bodies.invalidArgument('X-Goog-Upload-Command must be start.'));
    const declared = request.headers.get('x-goog-upload-header-content-length');
    const declaredSize = declared === null ? undefined : Number(declared);
    if (declaredSize !== undefined && (!Number.isInteger(declaredSize) || declaredSize < 0)) {
      return errorResponse(bodies.invalidArgument('X-Goog-Upload-Header-Content-Length must be a byte count.'));
    }
    if (declaredSize !== undefined && declaredSize > MAX_FILE_BYTES) return tooLarge();
    const text = await request.text();
    let metadata: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (isObject(parsed)) metadata = parsed;
      } catch {
        return errorResponse(bodies.invalidArgument('Invalid JSON payload received. Unexpected token.'));
      }
    }
    const file = isObject(metadata.file) ? metadata.file : {};
    const displayName = field(file, 'displayName');
    const mimeType =
      (typeof field(file, 'mimeType') === 'string' ? (field(file, 'mimeType') as string) : undefined) ??
      request.headers.get('x-goog-upload-header-content-type') ??
      'application/octet-stream';
    const id = newResourceId(40);
    this.sessions.set(id, {
      project: caller.key.project,
      ...(typeof displayName === 'string' ? { displayName } : {}),
      mimeType,
      ...(declaredSize !== undefined ? { declaredSize } : {}),
      received: 0,
      hash: createHash('sha256'),
      chunks: (declaredSize ?? 0) <= MAX_KEPT_BYTES ? [] : undefined,
      origin: url.origin,
      version,
    });
    return new Response(null, {
      status: 200,
      headers: {
        'x-goog-upload-url': `${url.origin}/upload/${version}/files?upload_id=${id}&upload_protocol=resumable`,
        'x-goog-upload-status': 'active',
        'x-goog-upload-chunk-granularity': String(CHUNK_GRANULARITY),
        'x-goog-upload-control-url': `${url.origin}/upload/${version}/files?upload_id=${id}&upload_protocol=resumable`,
      },
    });
  }

  /** A chunk (or query / cancel) for a started resumable upload. The upload id is the credential. */
  private async continueUpload(uploadId: string, request: Request): Promise<Response> {
    const session = this.sessions.get(uploadId);
    if (!session) {
      return errorResponse(bodies.invalidArgument('Failed to find an upload session for this upload_id.'));
    }
    this.context.countCall(session.project);
    const commands = (request.headers.get('x-goog-upload-command') ?? '')
      .split(',')
      .map((command) => command.trim().toLowerCase())
      .filter(Boolean);
    if (commands.includes('cancel')) {
      this.sessions.delete(uploadId);
      return new Response(null, { status: 200, headers: { 'x-goog-upload-status': 'cancelled' } });
    }
    if (commands.includes('query')) {
      return new Response(null, {
        status: 200,
        headers: { 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': String(session.received) },
      });
    }
    if (!commands.includes('upload') && !commands.includes('finalize')) {
      return errorResponse(bodies.invalidArgument('X-Goog-Upload-Command must be upload, finalize, query or cancel.'));
    }
    const offsetHeader = request.headers.get('x-goog-upload-offset');
    if (commands.includes('upload') && offsetHeader !== null && Number(offsetHeader) !== session.received) {
      return new Response(null, {
        status: 400,
        headers: { 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': String(session.received) },
      });
    }
    if (request.body) {
      // Read chunk by chunk: a large upload is hashed as it arrives, never held twice.
      for await (const piece of request.body as unknown as AsyncIterable<Uint8Array>) {
        session.received += piece.byteLength;
        if (session.received > MAX_FILE_BYTES) {
          this.sessions.delete(uploadId);
          return tooLarge();
        }
        session.hash.update(piece);
        if (session.chunks && session.received <= MAX_KEPT_BYTES) session.chunks.push(Buffer.from(piece));
        else session.chunks = undefined;
      }
    }
    if (!commands.includes('finalize')) {
      return new Response(null, {
        status: 200,
        headers: { 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': String(session.received) },
      });
    }
    this.sessions.delete(uploadId);
    if (session.declaredSize !== undefined && session.declaredSize !== session.received) {
      return errorResponse(
        bodies.invalidArgument(
          `The uploaded size (${session.received} bytes) does not match X-Goog-Upload-Header-Content-Length (${session.declaredSize}).`,
        ),
      );
    }
    const stored = this.add(
      {
        project: session.project,
        ...(session.displayName ? { displayName: session.displayName } : {}),
        mimeType: session.mimeType,
        sizeBytes: session.received,
        sha256: session.hash.digest('hex'),
        ...(session.chunks ? { bytes: Buffer.concat(session.chunks) } : {}),
        source: 'UPLOADED',
      },
      session.origin,
    );
    this.context.countResource(`files/${stored.id}`, session.project);
    return jsonResponse({ file: this.toWire(stored) }, 200, { 'x-goog-upload-status': 'final' });
  }

  private async multipart(caller: ResourceCaller, request: Request, url: URL): Promise<Response> {
    const contentType = request.headers.get('content-type') ?? '';
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) return errorResponse(bodies.invalidArgument('A multipart upload needs a boundary in Content-Type.'));
    const body = Buffer.from(await request.arrayBuffer());
    const parts = splitMultipart(body, boundary);
    if (parts.length < 2) {
      return errorResponse(bodies.invalidArgument('A multipart upload needs a metadata part and a media part.'));
    }
    let metadata: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(parts[0]!.body.toString('utf8') || '{}');
      if (isObject(parsed)) metadata = parsed;
    } catch {
      return errorResponse(bodies.invalidArgument('Invalid JSON payload received. Unexpected token.'));
    }
    const file = isObject(metadata.file) ? metadata.file : {};
    const mimeType =
      (field(file, 'mimeType') as string | undefined) ?? parts[1]!.contentType ?? 'application/octet-stream';
    const displayName = field(file, 'displayName');
    return this.finish(
      caller.key.project,
      { mimeType, ...(typeof displayName === 'string' ? { displayName } : {}) },
      [parts[1]!.body],
      url.origin,
    );
  }

  private finish(
    project: string,
    meta: { mimeType: string; displayName?: string },
    chunks: Buffer[],
    origin: string,
  ): Response {
    const bytes = Buffer.concat(chunks);
    if (bytes.byteLength > MAX_FILE_BYTES) return tooLarge();
    const stored = this.add(
      {
        project,
        ...meta,
        sizeBytes: bytes.byteLength,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        ...(bytes.byteLength <= MAX_KEPT_BYTES ? { bytes } : {}),
        source: 'UPLOADED',
      },
      origin,
    );
    this.context.countResource(`files/${stored.id}`, project);
    return jsonResponse({ file: this.toWire(stored) });
  }

  /** GET / DELETE /{version}/files[/{id}[:download]]. */
  handle(caller: ResourceCaller, request: Request, url: URL, rest: string): Response {
    const project = caller.key.project;
    if (rest === '') {
      if (request.method !== 'GET') return errorResponse(bodies.methodNotFound());
      const now = this.context.now();
      const mine = [...this.files.values()]
        .filter((file) => file.project === project && file.expiresAt > now)
        .sort((a, b) => b.createdAt - a.createdAt);
      const { page, nextPageToken } = paginate(mine, url, 10, 100);
      return jsonResponse({
        ...(page.length > 0 ? { files: page.map((file) => this.toWire(file)) } : {}),
        ...(nextPageToken ? { nextPageToken } : {}),
      });
    }
    const [id = '', verb] = rest.split(':');
    this.context.countResource(`files/${id}`, project);
    const file = this.visible(id, project);
    if (!file) return fileForbidden(id);
    if (verb === 'download') {
      if (request.method !== 'GET') return errorResponse(bodies.methodNotFound());
      if (!file.bytes) {
        return errorResponse(bodies.invalidArgument('The emulator keeps the bytes of files up to 64 MB only.'));
      }
      return new Response(new Uint8Array(file.bytes), {
        status: 200,
        headers: { 'content-type': file.mimeType, 'content-length': String(file.sizeBytes) },
      });
    }
    if (verb !== undefined) return errorResponse(bodies.methodNotFound());
    if (request.method === 'GET') return jsonResponse(this.toWire(file));
    if (request.method === 'DELETE') {
      this.files.delete(id);
      return jsonResponse({});
    }
    return errorResponse(bodies.methodNotFound());
  }

  /** The file id a `fileData.fileUri` names, if it names a Files API file. */
  static idFromUri(uri: string): string | undefined {
    return /(?:^|\/)files\/([a-z0-9-]+)$/.exec(uri.split('?')[0] ?? '')?.[1];
  }
}

function tooLarge(): Response {
  return errorResponse(bodies.invalidArgument(`File size exceeds the maximum of ${MAX_FILE_BYTES} bytes.`));
}

/** Splits a multipart/related body into its parts (headers parsed for Content-Type only). */
function splitMultipart(body: Buffer, boundary: string): Array<{ contentType?: string; body: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ contentType?: string; body: Buffer }> = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const chunk = body.subarray(start + delimiter.length, next);
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = chunk.subarray(0, headerEnd).toString('latin1');
      let content = chunk.subarray(headerEnd + 4);
      if (content.subarray(-2).toString('latin1') === '\r\n') content = content.subarray(0, -2);
      const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
      parts.push({ ...(contentType ? { contentType } : {}), body: content });
    }
    start = next;
  }
  return parts;
}
