import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from './helpers/cli.js';
import { hello, post } from './helpers/http.js';

describe('gemwarden serve', () => {
  it('with no key, serves from the built-in emulator, says so loudly, and drains on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, GEMINI_API_KEY: '', GEMINI_API_KEYS: '' },
    });
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /gateway listening on (http:\/\/\S+)/.exec(err);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(err)));
    });
    expect(err).toMatch(/BUILT-IN EMULATOR/);
    const answer = await post(url, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-gemwarden-model')).toBe('gemini-2.5-flash');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each([
    ['a field of the wrong type', { keys: [{ key: 'k', project: 7 }] }, 'keys[0]'],
    ['an unknown field', { upstreem: 'http://x' }, 'upstreem'],
    ['a bad URL', { upstream: 'not a url' }, 'upstream'],
  ])('names the field for %s and exits 2', async (_name, config, field) => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-serve-'));
    const file = join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify(config));
    const result = await runCli(['serve', '--config', file, '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(field);
  });

  it('refuses a non-loopback bind without client tokens', async () => {
    const result = await runCli(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/client tokens/);
  });
});
