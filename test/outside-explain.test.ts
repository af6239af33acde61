// Error texts from public reports that no other fixture holds (outside review, round three): each
// case in fixtures/outside-explain/cases.json names the issue it was copied from, with names, ids
// and keys replaced. Every case runs through classify() and explain() as a library user calls them;
// a sample also runs through `gemwarden explain --json` as a person pastes them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, explain, type Explanation, type GeminiError } from '../src/errors/index.js';
import { runCli } from './helpers/cli.js';

interface Expect {
  kind?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  hasResetAt?: boolean;
  blame?: string;
  situation?: string;
  reason?: string;
  httpStatus?: number;
  message?: string;
  messageContains?: string;
  messageStartsWith?: string;
  mentions?: string;
  cause?: string;
  secret?: string;
}

interface Case {
  id: string;
  source: string;
  input: string;
  expect: Expect;
  note: string;
}

// A made-up key in Google's key shape, assembled here so no key-shaped string sits in a file.
const FAKE_KEY = ['AIza', 'Sy', 'Xq7Hd2Lm9Pz4Rt6Vw8Yb1Nc3Kf5Gj0U', 'e_'].join('');

const CASES = JSON.parse(
  readFileSync(new URL('./fixtures/outside-explain/cases.json', import.meta.url), 'utf8').replaceAll(
    '{{FAKE_KEY}}',
    FAKE_KEY,
  ),
) as Case[];

function words(data: Explanation): string {
  return [data.title, data.explanation, data.automatic, ...data.remedies].join('\n');
}

function check(error: GeminiError, want: Expect): void {
  const data = explain(error);
  if (want.kind) expect(error.kind).toBe(want.kind);
  if (want.retryable !== undefined) expect(error.retryable).toBe(want.retryable);
  if (want.retryAfterMs !== undefined) expect(data.retryAfterMs).toBe(want.retryAfterMs);
  if (want.hasResetAt) {
    expect(error.resetAt).toBeTypeOf('number');
    expect(error.retryAfterMs).toBeGreaterThan(60_000);
  }
  if (want.blame) expect(error.blame).toBe(want.blame);
  if (want.situation) expect(data.situation).toBe(want.situation);
  if (want.reason) expect(error.reason).toBe(want.reason);
  if (want.httpStatus) expect(error.httpStatus).toBe(want.httpStatus);
  if (want.message) expect(error.message).toBe(want.message);
  if (want.messageContains) expect(error.message).toContain(want.messageContains);
  if (want.messageStartsWith) expect(error.message.startsWith(want.messageStartsWith)).toBe(true);
  if (want.mentions) expect(words(data)).toMatch(new RegExp(want.mentions, 'i'));
  if (want.cause) expect(data.cause).toBe(want.cause);
  if (want.secret) {
    const secret = want.secret.replace('{{FAKE_KEY}}', FAKE_KEY);
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    expect(JSON.stringify(data)).not.toContain(secret);
  }
}

describe('explain: error texts from public reports, outside review', () => {
  it('holds at least 25 cases, each with its public source', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    for (const item of CASES) expect(item.source).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/(issues|pull)\/\d+$/);
    expect(new Set(CASES.map((item) => item.id)).size).toBe(CASES.length);
  });

  for (const item of CASES) {
    it(`${item.id} (${item.source})`, () => check(classify(item.input), item.expect));
  }
});

describe('gemwarden explain --json on pasted reports', () => {
  // One of each shape a person pastes: a cut body, a browser's network words, a bare status object,
  // a status printed alone on the first line, and a key in a URL.
  const SAMPLE = [
    'continue-limit-zero-cut',
    'js-sdk-safari-load-failed',
    'bare-body-property-names-schema',
    'openai-completion-thought-signature',
    'httpx-429-key-in-url',
  ];
  for (const id of SAMPLE) {
    it(id, async () => {
      const item = CASES.find((entry) => entry.id === id)!;
      const result = await runCli(['explain', '--json'], { input: item.input });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(FAKE_KEY);
      const out = JSON.parse(result.stdout) as Explanation;
      expect(out.kind).toBe(item.expect.kind);
      expect(out.retryable).toBe(item.expect.retryable);
      if (item.expect.message) expect(out.message).toBe(item.expect.message);
      if (item.expect.messageStartsWith) expect(out.message.startsWith(item.expect.messageStartsWith)).toBe(true);
    });
  }
});
