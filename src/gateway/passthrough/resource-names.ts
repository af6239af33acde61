// Finding the project-scoped resources a request names (in its path or body) and the ones an answer
// reports (create, get and list answers, upload finalisation, batch outputs).
// Resource name forms: https://ai.google.dev/api (files/…, cachedContents/…, batches/…,
// tunedModels/…, fileSearchStores/…, operations).

/** Collections whose members belong to one project. */
export const OWNED_COLLECTIONS = ['files', 'cachedContents', 'batches', 'tunedModels', 'fileSearchStores', 'corpora'];

const NAME = new RegExp(`^(${OWNED_COLLECTIONS.join('|')})/([^/:?#\\s]+)$`);
const IN_PATH = new RegExp(`/(${OWNED_COLLECTIONS.join('|')})/([^/:?#]+)`);
const FILE_IN_URI = /\/files\/([a-z0-9-]+)(?:[?#].*)?$/;

/** "files/abc" style name, or undefined when `value` is not an owned resource name. */
export function ownedName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = NAME.exec(value);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The resource a path is about, e.g. /v1beta/files/abc:download → files/abc. */
export function resourceInPath(pathname: string): string | undefined {
  const match = IN_PATH.exec(pathname);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** Every owned resource a JSON request body cites (fileData.fileUri, cachedContent, input files, stores). */
export function resourcesInBody(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if ((key === 'fileUri' || key === 'file_uri') && typeof child === 'string') {
        const id = FILE_IN_URI.exec(child)?.[1];
        if (id) found.add(`files/${id}`);
      } else if (typeof child === 'string') {
        const name = ownedName(child);
        if (
          name &&
          [
            'cachedContent',
            'cached_content',
            'fileName',
            'file_name',
            'model',
            'name',
            'fileSearchStoreName',
            'file_search_store_name',
          ].includes(key)
        )
          found.add(name);
      } else if (Array.isArray(child) && /fileSearchStoreNames|file_search_store_names/.test(key)) {
        for (const item of child) {
          const name = ownedName(item);
          if (name) found.add(name);
        }
      } else walk(child, depth + 1);
    }
  };
  walk(value, 0);
  return [...found];
}

/** Every owned resource an answer reports: its own name, listed items, an uploaded file, batch outputs. */
export function resourcesInAnswer(value: unknown): string[] {
  const found = new Set<string>();
  const add = (candidate: unknown) => {
    const name = ownedName(candidate);
    if (name) found.add(name);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const answer = value as Record<string, unknown>;
  add(answer.name);
  if (answer.file && typeof answer.file === 'object') add((answer.file as Record<string, unknown>).name);
  for (const list of [...OWNED_COLLECTIONS, 'operations']) {
    const items = answer[list];
    if (Array.isArray(items))
      for (const item of items) if (item && typeof item === 'object') add((item as { name?: unknown }).name);
  }
  const metadata = answer.metadata as Record<string, unknown> | undefined;
  const outputs = [answer.response, metadata?.output];
  for (const output of outputs) {
    if (output && typeof output === 'object') add((output as Record<string, unknown>).responsesFile);
  }
  return [...found];
}
