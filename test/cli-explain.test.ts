import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { fixture } from './helpers/fixtures.js';

describe('gemwarden explain', () => {
  it('explains a body from standard input, as JSON', async () => {
    const body = JSON.stringify(fixture('429-free-tier-input-tpm-retryinfo').body);
    const result = await runCli(['explain', '--json'], { input: body });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      kind: 'rate_limited',
      httpStatus: 429,
      status: 'RESOURCE_EXHAUSTED',
      retryable: true,
      retryAfterMs: 26000,
    });
    expect(out.quota).toEqual([expect.objectContaining({ scope: 'minute', limit: 250000 })]);
    expect(Array.isArray(out.remedies)).toBe(true);
    expect(typeof out.title).toBe('string');
    expect(String(out.explanation)).toContain('GenerateContentInputTokensPerModelPerMinute-FreeTier');
  });

  it('explains a file for a person', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-explain-'));
    const file = join(dir, 'error.log');
    writeFileSync(
      file,
      "2026-11-01 ERROR google.genai.errors.ClientError: 400 FAILED_PRECONDITION. {'error': {'code': 400, 'message': 'User location is not supported for the API use.', 'status': 'FAILED_PRECONDITION'}}\n",
    );
    const result = await runCli(['explain', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kind: location_unsupported');
    expect(result.stdout).toMatch(/billing/i);
  });

  it('names the innermost cause of a wrapped error and gives the API its own message', async () => {
    const pasted =
      'litellm.AuthenticationError: GeminiException - b\'{\\n  "error": {\\n    "code": 400,\\n    "message": "API key not valid. Please pass a valid API key.",\\n    "status": "INVALID_ARGUMENT",\\n    "details": [\\n      {\\n        "@type": "type.googleapis.com/google.rpc.ErrorInfo",\\n        "reason": "API_KEY_INVALID",\\n        "domain": "googleapis.com"\\n      }\\n    ]\\n  }\\n}\\n\'';
    const json = await runCli(['explain', '--json'], { input: pasted });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'api_key_invalid',
      blame: 'key',
      cause: 'GeminiException',
      message: 'API key not valid. Please pass a valid API key.',
    });
    const text = await runCli(['explain'], { input: pasted });
    expect(text.stdout).toContain('cause: GeminiException');
    expect(text.stdout).toContain('about: key');
  });

  it('exits 2 with kind unknown for unrecognised text', async () => {
    const result = await runCli(['explain', '--json'], { input: 'the cat sat on the mat' });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout).kind).toBe('unknown');
  });

  it.each([
    ['empty input', '', /empty/],
    ['binary input', Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]), /binary/],
  ])('refuses %s with a clear message', async (_name, input, pattern) => {
    const result = await runCli(['explain'], { input });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses huge input and missing files without a stack trace', async () => {
    const huge = await runCli(['explain'], { input: Buffer.alloc(9 * 1024 * 1024, 'a') });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/larger than/);
    const missing = await runCli(['explain', '/nonexistent/file.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });
});
