// Requests that cite resources: generateContent, streamGenerateContent and countTokens naming a file
// (`fileData.fileUri`) or a cache (`cachedContent`). The cited resources must belong to the caller's
// project and be alive, else Google's 403; a cache's contents are then put in front of the request and
// the emulator's own generate route answers, with `cachedContentTokenCount` in the usage.
import type { Content, GenerateContentRequest, Part } from '../../wire/index.js';
import { bodies } from '../bodies.js';
import type { CacheStore } from './cached-contents.js';
import { cacheForbidden } from './cached-contents.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import { FileStore, fileForbidden } from './files.js';
import { errorResponse, field, isObject } from './http.js';

/** Marks a request the resource layer already checked, so it is not checked (or counted) twice. */
export const CHECKED_HEADER = 'x-emulator-references-checked';

function citedFiles(contents: unknown): string[] {
  const ids: string[] = [];
  if (!Array.isArray(contents)) return ids;
  for (const content of contents) {
    if (!isObject(content) || !Array.isArray(content.parts)) continue;
    for (const part of content.parts as Part[]) {
      const data = isObject(part) ? field(part, 'fileData') : undefined;
      const uri = isObject(data) ? field(data, 'fileUri') : undefined;
      const id = typeof uri === 'string' ? FileStore.idFromUri(uri) : undefined;
      if (id) ids.push(id);
    }
  }
  return ids;
}

/**
 * Checks a generate-style request's references. Returns undefined when the request cites nothing
 * (the generate route answers it unchanged), else the answer.
 */
export async function answerWithReferences(
  context: ResourceContext,
  files: FileStore,
  caches: CacheStore,
  caller: ResourceCaller,
  request: Request,
  text: string,
  model: string,
): Promise<Response | undefined> {
  if (request.headers.get(CHECKED_HEADER)) return undefined;
  if (!/file_?[dD]ata|cached_?[cC]ontent/.test(text)) return undefined;
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) return undefined;
    body = parsed;
  } catch {
    return undefined; // the generate route answers bad JSON in Google's words
  }
  const project = caller.key.project;
  const inner = isObject(field(body, 'generateContentRequest'))
    ? (field(body, 'generateContentRequest') as Record<string, unknown>)
    : body;
  for (const id of citedFiles(inner.contents)) {
    context.countResource(`files/${id}`, project);
    if (!files.visible(id, project)) return fileForbidden(id);
  }
  const cachedName = field(inner, 'cachedContent');
  if (typeof cachedName !== 'string' || cachedName === '') return forward(context, request, text);
  const id = cachedName.replace(/^cachedContents\//, '');
  context.countResource(`cachedContents/${id}`, project);
  const cache = caches.visible(id, project);
  if (!cache) return cacheForbidden();
  if (cache.model !== model) {
    return errorResponse(
      bodies.invalidArgument(
        `Model used by GenerateContent request (models/${model}) and CachedContent (models/${cache.model}) has to be the same.`,
      ),
    );
  }
  const merged: GenerateContentRequest & Record<string, unknown> = {
    ...inner,
    contents: [...cache.contents, ...((inner.contents as Content[] | undefined) ?? [])],
  };
  delete merged.cachedContent;
  delete merged.cached_content;
  if (cache.systemInstruction) merged.systemInstruction = cache.systemInstruction;
  if (cache.tools !== undefined) merged.tools = cache.tools as NonNullable<GenerateContentRequest['tools']>;
  const outgoing = inner === body ? merged : { ...body, generateContentRequest: merged };
  const answer = await forward(context, request, JSON.stringify(outgoing));
  return addCachedUsage(answer, cache.tokens);
}

function forward(context: ResourceContext, request: Request, body: string): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set(CHECKED_HEADER, '1');
  headers.delete('content-length');
  return context.dispatch(new Request(request.url, { method: request.method, headers, body, signal: request.signal }));
}

/** Adds cachedContentTokenCount to a JSON answer's usage; streams and errors pass unchanged. */
async function addCachedUsage(answer: Response, tokens: number): Promise<Response> {
  if (answer.status !== 200 || !(answer.headers.get('content-type') ?? '').includes('json')) return answer;
  const text = await answer.text();
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (isObject(value.usageMetadata)) value.usageMetadata.cachedContentTokenCount = tokens;
    else if (typeof value.totalTokens === 'number') value.cachedContentTokenCount = tokens;
    const headers = new Headers(answer.headers);
    headers.delete('content-length');
    return new Response(`${JSON.stringify(value, null, 2)}\n`, { status: 200, headers });
  } catch {
    return new Response(text, { status: answer.status, headers: answer.headers });
  }
}
