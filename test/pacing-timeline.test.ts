// The quota-bound batch on the fake clock: when each request of a burst larger than one window is
// sent. The first window's requests go at once; the rest go together when the window has room for
// them again (the rolling minute plus pacing's margin), none a window late. Times are fake-clock
// readings, so the test says nothing about speed, only about when the pacer lets requests go.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type GeminiClient } from '../src/index.js';
import { defaultWindows } from '../src/pacing/store.js';
import { FakeClock } from '../src/time/clock.js';

const MINUTE_MS = 2000;
const ANSWER = JSON.stringify({
  candidates: [{ content: { role: 'model', parts: [{ text: 'Rivers run.' }] }, finishReason: 'STOP' }],
  usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 3, totalTokenCount: 11 },
});

let client: GeminiClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

/** Sends `count` calls at once against 2 projects × 2 models of `rpm` each; returns who was sent when. */
async function burst(count: number, rpm: number) {
  const clock = new FakeClock(1_000_000);
  const sent: Array<{ at: number; model: string; key: string }> = [];
  client = createClient({
    keys: [
      { key: 'timeline-key-p1-0001', project: 'p1' },
      { key: 'timeline-key-p2-0002', project: 'p2' },
    ],
    baseUrl: 'http://127.0.0.1:9',
    clock,
    quotaWindows: { minuteMs: MINUTE_MS },
    fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
    limits: { 'gemini-2.5-pro': { rpm }, 'gemini-2.5-flash': { rpm } },
    rateLimitFallbackAfterMs: MINUTE_MS / 12,
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const headers = new Headers(init?.headers);
      sent.push({
        at: clock.now(),
        model: /models\/([^:]+):/.exec(url)?.[1] ?? '?',
        key: headers.get('x-goog-api-key') ?? '?',
      });
      return new Response(ANSWER, { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  const request = { contents: [{ role: 'user', parts: [{ text: 'Write one short sentence about rivers.' }] }] };
  const calls = Array.from({ length: count }, () => client!.generateContent('gemini-2.5-pro', request));
  const start = clock.now();
  await clock.advance(0); // the calls run up to their first wait before any time passes
  for (let step = 0; step < 4 * MINUTE_MS && sent.length < count; step += 5) await clock.advance(5);
  await Promise.all(calls);
  return { start, sent };
}

describe('a burst larger than one window', () => {
  it.each([
    [400, 2],
    [600, 3],
  ])(
    '%i requests: each window of 200 leaves at one moment, a minute and the margin after the last',
    async (count, windows) => {
      const { start, sent } = await burst(count, 50);
      expect(sent).toHaveLength(count);
      const times = [...new Set(sent.map((entry) => entry.at - start))].sort((a, b) => a - b);
      const { marginMs } = defaultWindows({ minuteMs: MINUTE_MS });
      // 200 fit in a window (2 projects × 2 models × 50): the first 200 leave before any time passes.
      expect(times).toHaveLength(windows);
      expect(times[0]).toBe(0);
      // Each later window leaves at one moment: the minute plus the margin after the one before,
      // rounded up to pacing's bucket (a quarter of the margin), never a window late.
      for (let index = 1; index < times.length; index++) {
        const gap = times[index]! - times[index - 1]!;
        expect(gap).toBeGreaterThanOrEqual(MINUTE_MS + marginMs);
        expect(gap).toBeLessThanOrEqual(MINUTE_MS + marginMs + marginMs / 4);
      }
      // Each (project, model) pair gets its 50 in each window, never more.
      for (const time of times) {
        const pairs = new Map<string, number>();
        for (const entry of sent.filter((item) => item.at - start === time))
          pairs.set(`${entry.key}/${entry.model}`, (pairs.get(`${entry.key}/${entry.model}`) ?? 0) + 1);
        expect([...pairs.values()]).toEqual([50, 50, 50, 50]);
      }
    },
  );
});
