// Issue 17: each of the eight kinds of fault, fixed as a kind, held by forms beyond the shared
// fixture. The inputs in fixtures/explain-forms/forms.json are error texts as people pasted them in
// public reports (issues of google-gemini/gemini-cli, googleapis/python-genai, google-gemini's
// deprecated SDKs, BerriAI/litellm, langchain, pydantic-ai, vercel/ai, cline, Roo-Code, CherryHQ,
// one-api and others), with project numbers, keys, names and ids replaced.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, explain, type Explanation, type GeminiError } from '../src/errors/index.js';

interface Expect {
  kind: string;
  retryable?: boolean;
  retryAfterMs?: number | null;
  serverRetryDelayMs?: number;
  hasResetAt?: boolean;
  blame?: string;
  situation?: string;
  finishReason?: string;
  blockReason?: string;
  reason?: string;
  model?: string;
  httpStatus?: number;
  message?: string;
  messageContains?: string;
  messageStartsWith?: string;
  mentions?: string;
  notMentions?: string;
  cause?: string;
  secret?: string;
}

interface Form {
  id: string;
  input: string;
  expect: Expect;
}

// A made-up key in Google's key shape, assembled here so no key-shaped string sits in a file.
const FAKE_KEY = ['AIza', 'Sy', 'Xq7Hd2Lm9Pz4Rt6Vw8Yb1Nc3Kf5Gj0U', 'e_'].join('');

const FORMS = JSON.parse(
  readFileSync(new URL('./fixtures/explain-forms/forms.json', import.meta.url), 'utf8').replaceAll(
    '{{FAKE_KEY}}',
    FAKE_KEY,
  ),
) as Record<string, Form[]>;

const KINDS_OF_FAULT: Record<string, string> = {
  reprs: '1. Python and SDK reprs',
  stream: "2. clients' own words for a broken stream",
  quota: '3. quotas that do not clear in a minute',
  cancel: '4. a 499 that arrives as an answer',
  cause: '5. the cause wins over the wrapper',
  embedded: '6. escaped and embedded bodies',
  words: '7. words that fit the case',
  blame: '8. blame from structure',
};

function words(data: Explanation): string {
  return [data.title, data.explanation, data.automatic, ...data.remedies].join('\n');
}

function check(error: GeminiError, want: Expect): void {
  const data = explain(error);
  expect(error.kind).toBe(want.kind);
  if (want.retryable !== undefined) expect(error.retryable).toBe(want.retryable);
  if (want.retryAfterMs !== undefined) expect(data.retryAfterMs).toBe(want.retryAfterMs);
  if (want.serverRetryDelayMs !== undefined) expect(error.serverRetryDelayMs).toBe(want.serverRetryDelayMs);
  if (want.hasResetAt) {
    expect(error.resetAt).toBeTypeOf('number');
    expect(error.retryAfterMs).toBeGreaterThan(0);
  }
  if (want.blame) expect(error.blame).toBe(want.blame);
  if (want.situation) expect(data.situation).toBe(want.situation);
  if (want.finishReason) expect(error.finishReason).toBe(want.finishReason);
  if (want.blockReason) expect(error.blockReason).toBe(want.blockReason);
  if (want.reason) expect(error.reason).toBe(want.reason);
  if (want.model) expect(error.model).toBe(want.model);
  if (want.httpStatus) expect(error.httpStatus).toBe(want.httpStatus);
  if (want.message) expect(error.message).toBe(want.message);
  if (want.messageContains) expect(error.message).toContain(want.messageContains);
  if (want.messageStartsWith) expect(error.message.startsWith(want.messageStartsWith)).toBe(true);
  if (want.mentions) expect(words(data)).toMatch(new RegExp(want.mentions, 'i'));
  if (want.notMentions) expect(words(data)).not.toMatch(new RegExp(want.notMentions, 'i'));
  if (want.cause) expect(data.cause).toBe(want.cause);
  if (want.secret) {
    const secret = want.secret.replace('{{FAKE_KEY}}', FAKE_KEY);
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    expect(JSON.stringify(data)).not.toContain(secret);
  }
}

describe('explain round two: more forms of each kind of fault', () => {
  it('holds at least three forms for each of the eight kinds', () => {
    expect(Object.keys(FORMS).sort()).toEqual(Object.keys(KINDS_OF_FAULT).sort());
    for (const forms of Object.values(FORMS)) expect(forms.length).toBeGreaterThanOrEqual(3);
  });

  for (const [group, title] of Object.entries(KINDS_OF_FAULT)) {
    describe(title, () => {
      for (const form of FORMS[group] ?? []) {
        it(form.id, () => check(classify(form.input), form.expect));
      }
    });
  }
});
