// One page of a list merged across projects (files, cachedContents, batches, tunedModels,
// fileSearchStores): each project sees only its own resources, so the gateway walks the projects in
// a fixed order (by name) and fills the client's page from them, honouring the client's pageSize
// across projects. The page token it hands out is opaque to the client and carries where the walk
// stopped: a project and that project's own upstream page token. Asking each project for exactly
// what is left of the page means no item is ever skipped or shown twice, however pages fall.
// Source: the list methods' pageSize/pageToken in https://ai.google.dev/api (files.list: default
// 10, at most 100; tunedModels.list and fileSearchStores.list: default 10).

/** Where a merged listing stopped: the project to ask next, and its own upstream page token. */
export interface ListCursor {
  project: string;
  /** The project's upstream nextPageToken; absent to start the project from its first page. */
  token?: string;
}

/** Items of one collection from one project's upstream answer. */
export interface ProjectPage {
  items: unknown[];
  nextPageToken?: string;
}

/** The page size used when the client names none, per collection (Google's documented defaults, else 10). */
export const DEFAULT_PAGE_SIZE: Readonly<Record<string, number>> = {
  files: 10,
  tunedModels: 10,
  fileSearchStores: 10,
  batches: 10,
  cachedContents: 100,
};

/** Marks a token as a merged listing's, so an upstream token passed by the client is told apart. */
const MARK = 'gemwarden-list';

/** The opaque page token for `cursor` (base64url JSON). */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(
    JSON.stringify({ m: MARK, p: cursor.project, ...(cursor.token ? { t: cursor.token } : {}) }),
  ).toString('base64url');
}

/** The cursor a page token carries; undefined when the token is not a merged listing's. */
export function decodeCursor(token: string): ListCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value?.m !== MARK || typeof value.p !== 'string') return undefined;
    return { project: value.p, ...(typeof value.t === 'string' && value.t ? { token: value.t } : {}) };
  } catch {
    return undefined;
  }
}

export interface FillPageOptions<F> {
  /** The projects to list, in the listing's fixed order. */
  projects: readonly string[];
  /** Where the previous page stopped (from the client's page token); absent for the first page. */
  cursor?: ListCursor | undefined;
  /** The most items the page may hold (the client's pageSize, or the collection's default). */
  pageSize: number;
  /**
   * Asks one project for up to `pageSize` items from `pageToken`. Resolves with the page, or with a
   * failure (`{ failure }`), which ends the fill.
   */
  fetchPage(project: string, pageSize: number, pageToken: string | undefined): Promise<ProjectPage | { failure: F }>;
  /** Most upstream requests for one page (a bound against upstream pages that come back empty). */
  maxRequests?: number;
}

export type FilledPage<F> = { items: unknown[]; next?: ListCursor } | { failure: F };

/**
 * Fills one merged page: from the cursor's project (or the first), asks each project in order for
 * what is left of `pageSize` and moves on when a project has no more. A cursor naming a project no
 * longer listed (its keys all out) resumes at the next project by name. `next` is absent on the last
 * page. An upstream that returns more than asked is passed on whole rather than losing items.
 */
export async function fillPage<F>(options: FillPageOptions<F>): Promise<FilledPage<F>> {
  const { projects, cursor, pageSize } = options;
  let index = 0;
  let token: string | undefined;
  if (cursor) {
    index = projects.indexOf(cursor.project);
    if (index >= 0) token = cursor.token;
    else {
      index = projects.findIndex((project) => project > cursor.project);
      if (index < 0) index = projects.length;
    }
  }
  const maxRequests = options.maxRequests ?? projects.length + 10;
  const items: unknown[] = [];
  let requests = 0;
  while (index < projects.length && items.length < pageSize && requests < maxRequests) {
    const page = await options.fetchPage(projects[index]!, pageSize - items.length, token);
    requests++;
    if ('failure' in page) return page;
    items.push(...page.items);
    if (page.nextPageToken) token = page.nextPageToken;
    else {
      index++;
      token = undefined;
    }
  }
  if (index >= projects.length) return { items };
  return { items, next: { project: projects[index]!, ...(token ? { token } : {}) } };
}
