// docs/architecture.md's layer table against the code: each row's "may import" equals the allow-list
// the lint enforces (LAYERS in eslint.config.js), every folder of src/ has a row, and every import
// the source makes, read with the TypeScript compiler, is one its folder's row allows. So the table
// cannot drift from the imports, nor the lint from the table.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const FOLDERS = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());

/** folder → the folders the table's "may import" cell names, in the order written. */
function tableAllowLists(): Map<string, string[]> {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## Decisions'));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const folder = /^`([a-z-]+)\/`$/.exec(cells[1] ?? '')?.[1];
    if (!folder) continue;
    const words = (cells[3] ?? '').match(/[a-z]+/g) ?? [];
    rows.set(
      folder,
      words.filter((word) => FOLDERS.includes(word) && word !== folder),
    );
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** folder → the other folders of src/ its files import (static, dynamic and type-only imports). */
function importsInSource(): Map<string, Map<string, string>> {
  const used = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const [folder, ...rest] = relative(SRC, file).split(sep);
    if (!folder || rest.length === 0) continue; // src/index.ts: the package's entry, above every layer
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const [target, ...inside] = relative(SRC, resolve(dirname(file), fileName)).split(sep);
      if (!target || inside.length === 0 || target === folder || !FOLDERS.includes(target)) continue;
      const seen = used.get(folder) ?? new Map<string, string>();
      seen.set(target, relative(ROOT, file));
      used.set(folder, seen);
    }
  }
  return used;
}

describe('docs/architecture.md matches the code', () => {
  const table = tableAllowLists();

  it('has one row per folder of src/', () => {
    expect([...table.keys()].sort()).toEqual([...FOLDERS].sort());
  });

  it("each row's allow-list is the one the lint enforces (LAYERS in eslint.config.js)", async () => {
    // A runtime path: the config is a .js file outside the type-checked project.
    const config = pathToFileURL(join(ROOT, 'eslint.config.js')).href;
    const { LAYERS } = (await import(config)) as { LAYERS: Record<string, string[]> };
    const sorted = (lists: Iterable<[string, string[]]>) =>
      Object.fromEntries([...lists].map(([folder, allowed]) => [folder, [...allowed].sort()]));
    expect(sorted(table)).toEqual(sorted(Object.entries(LAYERS)));
  });

  it("every import between folders is allowed by the importing folder's row", () => {
    const refused: string[] = [];
    for (const [folder, targets] of importsInSource()) {
      for (const [target, file] of targets)
        if (!table.get(folder)?.includes(target)) refused.push(`${file} imports src/${target}/`);
    }
    expect(refused).toEqual([]);
  });

  it('reads imports the way the check needs (a folder known to import others is seen doing so)', () => {
    // Guards the reader itself: were it to find nothing, the check above would pass vacuously.
    const used = importsInSource();
    expect([...(used.get('pipeline')?.keys() ?? [])]).toEqual(expect.arrayContaining(['errors', 'policy', 'pacing']));
    expect(used.has('wire')).toBe(false);
  });
});
