import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from './helpers/cli.js';
import { hello, post } from './helpers/http.js';

describe('gemwarden emulate', () => {
  it('serves on the given port with a YAML config until SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-emulate-'));
    const config = join(dir, 'emulator.yaml');
    writeFileSync(config, 'faults:\n  - model: gemini-2.5-pro\n    status: 503\n');
    const child = spawn(process.execPath, [BIN, 'emulate', '--port', '0', '--config', config], { cwd: ROOT });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`exited: ${out}`)));
    });
    expect(
      (await post(url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, { 'x-goog-api-key': 'k' })).status,
    ).toBe(503);
    expect(
      (await post(url, '/v1beta/models/gemini-2.5-flash:generateContent', hello, { 'x-goog-api-key': 'k' })).status,
    ).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('names the bad field of a config and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-emulate-'));
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ faults: [{ status: 503, rate: 7 }] }));
    const result = await runCli(['emulate', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('faults[0].rate');
  });
});
