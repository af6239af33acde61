// Each CLI command is imported when it runs (src/cli/main.ts): `gemwarden explain` must not load the
// gateway, the emulator, Redis or SQLite. The built CLI runs in a child node whose module hooks log
// every module it resolves; a command that does need SQLite (translate) is the control showing that
// the log sees the CommonJS packages too, so the absence in explain's log means something.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, type CliResult } from './helpers/cli.js';

const HOOKS = pathToFileURL(join(ROOT, 'test/helpers/module-log.mjs')).href;

/** Runs the CLI and returns what it printed and every module URL it resolved. */
async function runLogged(args: string[], input?: string): Promise<CliResult & { modules: string[] }> {
  const log = join(mkdtempSync(join(tmpdir(), 'gw-modules-')), 'modules.log');
  writeFileSync(log, '');
  const result = await runCli(args, {
    ...(input !== undefined ? { input } : {}),
    env: { NODE_OPTIONS: `--import ${HOOKS}`, GEMWARDEN_MODULE_LOG: log },
  });
  return { ...result, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const HEAVY = [
  /\/node_modules\/better-sqlite3\//,
  /\/node_modules\/ioredis\//,
  /\/dist\/gateway\//,
  /\/dist\/emulator\//,
];

describe('the CLI loads a command on use', () => {
  it('explain loads the error model but not the gateway, the emulator, Redis or SQLite', async () => {
    const result = await runLogged(
      ['explain', '--json'],
      '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'unavailable' });
    expect(result.modules.some((url) => url.endsWith('/dist/cli/explain-command.js'))).toBe(true);
    expect(result.modules.some((url) => url.includes('/dist/errors/'))).toBe(true);
    for (const heavy of HEAVY) expect(result.modules.filter((url) => heavy.test(url))).toEqual([]);
  });

  it('translate, which needs SQLite, does load it (the log sees CommonJS packages)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-lazy-'));
    const result = await runLogged(['translate', join(dir, 'missing.srt'), '--to', 'fr']);
    expect(result.code).toBe(2);
    expect(result.modules.some((url) => /\/node_modules\/better-sqlite3\//.test(url))).toBe(true);
  });
});
