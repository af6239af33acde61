// What the package's public types stand on: every declaration file reachable from package.json's
// `exports` (the built dist/, which `npm test` builds first) may import only Node's own modules and
// the libraries listed below. Whatever serves the gateway (@hono/node-server's request listener on
// our own http.Server) stays an implementation detail: no exported type names it, so it can be
// swapped without breaking a user's build.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Libraries whose types are part of gemwarden's public types, and why. */
const PUBLIC_TYPE_LIBRARIES: Record<string, string> = {
  zod: "the gateway's config schema (gatewayConfigSchema) is a zod schema",
  undici: "the transport's upstream pool (UpstreamPool.dispatcher is an undici Agent)",
  ioredis: 'RedisPacingStore exposes its ioredis connection (`redis`)',
  'prom-client': "the gateway's metrics (`registry` and its counters are prom-client's)",
};

function entryDeclarations(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, { types: string }>;
  };
  return Object.values(manifest.exports).map((entry) => resolve(ROOT, entry.types));
}

/** Every declaration file reachable from `entries`, with the bare modules each imports. */
function reachable(entries: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (found.has(file)) continue;
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const bare: string[] = [];
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) bare.push(fileName);
      else queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.d.ts')));
    }
    found.set(file, bare);
  }
  return found;
}

describe('public types', () => {
  it('name no serving framework: only Node and the listed libraries', () => {
    const entries = entryDeclarations();
    for (const entry of entries) expect(existsSync(entry), `${entry} (run npm run build)`).toBe(true);
    const files = reachable(entries);
    // The walk reached the gateway's public types (GatewayHandle and its config), where a server type would show.
    expect([...files.keys()].map((file) => relative(ROOT, file))).toEqual(
      expect.arrayContaining(['dist/gateway/index.d.ts', 'dist/gateway/server.d.ts']),
    );
    const outside: string[] = [];
    for (const [file, modules] of files)
      for (const name of modules)
        if (!name.startsWith('node:') && !(name in PUBLIC_TYPE_LIBRARIES))
          outside.push(`${relative(ROOT, file)} imports ${name}`);
    expect(outside).toEqual([]);
  });
});
