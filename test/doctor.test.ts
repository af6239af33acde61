// gemwarden doctor against the emulator with keys in every state.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { runCli } from './helpers/cli.js';
import { hello, post } from './helpers/http.js';

const KEYS = {
  valid: 'valid-key-aaaa0001',
  invalid: 'invalid-key-bbbb0002',
  suspended: 'suspended-key-cccc0003',
  disabled: 'disabled-key-dddd0004',
  location: 'location-key-eeee0005',
  spent: 'spent-day-key-ffff0006',
};

let emulator: EmulatorHandle;
let configFile: string;

beforeAll(async () => {
  emulator = await startEmulator({
    keys: [
      { key: KEYS.valid, project: 'p-valid' },
      { key: KEYS.invalid, state: 'invalid' },
      { key: KEYS.suspended, state: 'suspended', project: 'p-susp' },
      { key: KEYS.disabled, state: 'service_disabled', project: 'p-off' },
      { key: KEYS.location, state: 'location_unsupported' },
      { key: KEYS.spent, project: 'p-spent' },
    ],
    models: { 'gemini-2.5-pro': { rpd: 1 } },
  });
  // Spend the daily pro quota of p-spent; p-valid gets its own, and doctor uses it once.
  await post(emulator.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, { 'x-goog-api-key': KEYS.spent });
  const dir = mkdtempSync(join(tmpdir(), 'gw-doctor-'));
  configFile = join(dir, 'gateway.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      keys: Object.values(KEYS).map((key) => ({ key })),
      fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'], 'gemini-1.5-pro': [] },
    }),
  );
});
afterAll(() => emulator.close());

interface Report {
  keys: Array<{
    keyHint: string;
    project: string | null;
    models: Record<string, { ok: boolean; kind: string; explanation: string; result: string }>;
  }>;
  calls: number;
  ok: boolean;
}

describe('gemwarden doctor', () => {
  it('gives a verdict per key and model, with the explanation', async () => {
    const result = await runCli(['doctor', '--config', configFile, '--upstream', emulator.url, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    const byHint = Object.fromEntries(report.keys.map((key) => [key.keyHint, key]));
    const of = (key: string) => byHint[`…${key.slice(-4)}`]!;
    expect(of(KEYS.valid).models['gemini-2.5-flash']).toMatchObject({ ok: true, kind: 'ok' });
    expect(of(KEYS.valid).models['gemini-2.5-pro']).toMatchObject({ ok: true, kind: 'ok' });
    expect(of(KEYS.valid).models['gemini-1.5-pro']).toMatchObject({
      ok: false,
      kind: 'not_found',
      result: 'model retired: use gemini-2.5-pro',
    });
    expect(of(KEYS.invalid).models['gemini-2.5-flash']).toMatchObject({ ok: false, kind: 'api_key_invalid' });
    expect(of(KEYS.suspended).models['gemini-2.5-flash']).toMatchObject({ ok: false, kind: 'permission_denied' });
    expect(of(KEYS.suspended).models['gemini-2.5-flash']!.explanation).toMatch(/suspended/);
    expect(of(KEYS.suspended).project).toMatch(/^projects\/\d+$/);
    expect(of(KEYS.disabled).models['gemini-2.5-flash']!.explanation).toMatch(
      /enable it at https:\/\/console\.developers\.google\.com/,
    );
    expect(of(KEYS.location).models['gemini-2.5-flash']).toMatchObject({ ok: false, kind: 'location_unsupported' });
    expect(of(KEYS.location).models['gemini-2.5-flash']!.explanation).toMatch(/billing|offered/i);
    expect(of(KEYS.spent).models['gemini-2.5-pro']).toMatchObject({ ok: false, kind: 'quota_exhausted' });
    expect(of(KEYS.spent).models['gemini-2.5-pro']!.result).toMatch(/resets at \d\d:\d\d Pacific/);
    expect(of(KEYS.spent).models['gemini-2.5-flash']).toMatchObject({ ok: true });
    expect(result.stdout).not.toContain(KEYS.valid);
  });

  it('spends few calls: one listing per key, none per model for a refused key', async () => {
    const result = await runCli([
      'doctor',
      '--config',
      configFile,
      '--upstream',
      emulator.url,
      '--json',
      '--no-generate',
      '--model',
      'gemini-2.5-flash',
    ]);
    const report = JSON.parse(result.stdout) as Report;
    // 6 listings, and countTokens only for the 2 keys whose listing worked
    expect(report.calls).toBe(8);
  });

  it('prints a table and the problems for people, exit 0 when every key works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-doctor-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ keys: [{ key: KEYS.valid, project: 'p-valid' }] }));
    const result = await runCli([
      'doctor',
      '--config',
      good,
      '--upstream',
      emulator.url,
      '--model',
      'gemini-2.5-flash',
      '--model',
      'gemini-2.0-pro',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/key\s+project\s+model\s+result/);
    expect(result.stdout).toMatch(/…0001\s+p-valid\s+gemini-2\.5-flash\s+ok/);
    expect(result.stdout).toContain('Problems and what to do');
    expect(result.stdout).toMatch(/\d+ API calls made/);
  });

  it('says clearly when there is no key', async () => {
    const result = await runCli(['doctor']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/GEMINI_API_KEY/);
  });
});
