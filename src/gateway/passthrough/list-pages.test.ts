import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, fillPage, type ProjectPage } from './list-pages.js';

/** Projects of numbered items served in upstream pages of at most `cap` (an upstream may give fewer). */
function upstream(sizes: Record<string, number>, cap = 100) {
  const asked: Array<[string, number, string | undefined]> = [];
  const fetchPage = async (project: string, size: number, token: string | undefined): Promise<ProjectPage> => {
    asked.push([project, size, token]);
    const start = token ? Number(token) : 0;
    const end = Math.min(start + Math.min(size, cap), sizes[project] ?? 0);
    const items = Array.from({ length: end - start }, (_, i) => `${project}-${start + i}`);
    return end < (sizes[project] ?? 0) ? { items, nextPageToken: String(end) } : { items };
  };
  return { fetchPage, asked };
}

async function walk(sizes: Record<string, number>, pageSize: number, cap?: number) {
  const { fetchPage, asked } = upstream(sizes, cap);
  const projects = Object.keys(sizes).sort();
  const pages: unknown[][] = [];
  let token: string | undefined;
  do {
    const filled = await fillPage({ projects, cursor: token ? decodeCursor(token) : undefined, pageSize, fetchPage });
    if ('failure' in filled) throw new Error('failed');
    pages.push(filled.items);
    token = filled.next ? encodeCursor(filled.next) : undefined;
  } while (token && pages.length < 100);
  return { pages, asked };
}

describe('fillPage', () => {
  it('fills pages across projects, every item once and in order, none over pageSize', async () => {
    const { pages } = await walk({ a: 7, b: 5, c: 0, d: 1 }, 5);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toEqual([
      ...Array.from({ length: 7 }, (_, i) => `a-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `b-${i}`),
      'd-0',
    ]);
  });

  it('asks each project only for what is left of the page, and again when an upstream gives fewer', async () => {
    const { pages, asked } = await walk({ a: 4, b: 4 }, 3, 2);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 2]);
    expect(asked.slice(0, 4)).toEqual([
      ['a', 3, undefined],
      ['a', 1, '2'],
      ['a', 3, '3'],
      ['b', 2, undefined],
    ]);
  });

  it('resumes at the next project by name when the cursor names a project no longer listed', async () => {
    const { fetchPage } = upstream({ a: 2, c: 2 });
    const filled = await fillPage({
      projects: ['a', 'c'],
      cursor: { project: 'b', token: '1' },
      pageSize: 5,
      fetchPage,
    });
    expect(filled).toEqual({ items: ['c-0', 'c-1'] });
  });

  it('stops at a failure and tells it', async () => {
    const filled = await fillPage({
      projects: ['a', 'b'],
      pageSize: 5,
      fetchPage: async (project) => (project === 'b' ? { failure: 'down' } : { items: ['a-0'] }),
    });
    expect(filled).toEqual({ failure: 'down' });
  });

  it('reads back only its own tokens', () => {
    expect(decodeCursor(encodeCursor({ project: 'p/1', token: 'xyz' }))).toEqual({ project: 'p/1', token: 'xyz' });
    expect(decodeCursor(encodeCursor({ project: 'p' }))).toEqual({ project: 'p' });
    expect(decodeCursor(Buffer.from(JSON.stringify({ alpha: 'x' })).toString('base64url'))).toBeUndefined();
    expect(decodeCursor('CgNhYmM')).toBeUndefined();
  });
});
