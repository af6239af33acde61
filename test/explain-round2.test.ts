// Issue 17: every case of the shared round-two fixture gives the expected kind, retryability, delay
// and (where listed) words; the same words reach `gemwarden explain --json`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, explain, type Explanation } from '../src/errors/index.js';

interface Case {
  id: string;
  input: string;
  expect: { kind: string; retryable: boolean; retryAfterMs: number | null; mentions?: string; notMentions?: string };
  note: string;
}

const CASES = JSON.parse(
  readFileSync(new URL('./fixtures/explain-round2/cases.json', import.meta.url), 'utf8'),
) as Case[];

/** Everything a person reads: title, explanation, what gemwarden does, remedies. */
function words(data: Explanation): string {
  return [data.title, data.explanation, data.automatic, ...data.remedies].join('\n');
}

describe('explain round two: the shared fixture', () => {
  it('has cases', () => expect(CASES.length).toBeGreaterThanOrEqual(12));
  for (const item of CASES) {
    it(`${item.id}`, () => {
      const data = explain(classify(item.input));
      expect({ kind: data.kind, retryable: data.retryable, retryAfterMs: data.retryAfterMs }).toEqual({
        kind: item.expect.kind,
        retryable: item.expect.retryable,
        retryAfterMs: item.expect.retryAfterMs,
      });
      if (item.expect.mentions) expect(words(data)).toMatch(new RegExp(item.expect.mentions, 'i'));
      if (item.expect.notMentions) expect(words(data)).not.toMatch(new RegExp(item.expect.notMentions, 'i'));
    });
  }
});
