import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../errors/index.js';
import { resolveLimits, tightest, type Limits } from './limits.js';
import { MemoryPacingStore } from './memory-store.js';
import type { Booked, PacingStore } from './store.js';
import { bucketGeometry, MinuteBuckets } from './minute-buckets.js';
import { GeminiPacer } from './pacer.js';

interface Booking {
  at: number;
  tokens: number;
}
const log = (...times: Array<[number, number]>): Booking[] => times.map(([at, tokens]) => ({ at, tokens }));

/** The per-request rolling log the buckets replace, kept here as the reference: exact, O(n) per booking. */
function exactSlot(entries: readonly Booking[], tokens: number, limits: Limits, now: number, windowMs: number): number {
  let at = Math.max(now, ...entries.map((entry) => entry.at));
  if (limits.rpm && entries.length >= limits.rpm)
    at = Math.max(at, entries[entries.length - limits.rpm]!.at + windowMs);
  if (limits.tpm) {
    const room = limits.tpm - Math.min(tokens, limits.tpm);
    let sum = 0;
    for (let index = entries.length - 1; index >= 0; index--) {
      sum += entries[index]!.tokens;
      if (sum > room) {
        at = Math.max(at, entries[index]!.at + windowMs);
        break;
      }
    }
  }
  return at;
}

/** The bucket window with 1 ms buckets over a 1000 ms window: the exact answers of a per-request log. */
function bucketSlot(entries: readonly Booking[], tokens: number, limits: Limits, now: number): number {
  const minute = new MinuteBuckets({ bucketMs: 1, buckets: 1000 });
  entries.forEach((entry, index) => minute.add(entry.at, entry.tokens, String(index)));
  return minute.slot(tokens, limits, now, true);
}

describe('minute buckets', () => {
  const table: Array<[string, Booking[], number, Limits, number, number]> = [
    ['empty log: now', [], 10, { rpm: 2 }, 100, 100],
    ['under the rpm: now', log([90, 1]), 10, { rpm: 2 }, 100, 100],
    ['at the rpm: when the oldest of the last rpm leaves', log([50, 1], [90, 1]), 10, { rpm: 2 }, 100, 1050],
    ['FIFO: never before the last booking', log([500, 1]), 10, { rpm: 5 }, 100, 500],
    ['tpm: waits until enough tokens leave the window', log([10, 60], [20, 30]), 20, { tpm: 100 }, 100, 1010],
    ['tpm: fits', log([10, 60], [20, 20]), 20, { tpm: 100 }, 100, 100],
    ['a request over the whole tpm waits for an empty window', log([10, 5]), 500, { tpm: 100 }, 100, 1010],
  ];
  for (const [name, entries, tokens, limits, now, expected] of table) {
    it(name, () => {
      expect(bucketSlot(entries, tokens, limits, now)).toBe(expected);
      expect(exactSlot(entries, tokens, limits, now, 1000)).toBe(expected);
    });
  }

  it('buckets are a quarter of the margin, and a window of them spans at least minute + margin', () => {
    for (const windows of [
      { minuteMs: 60_000, dayMs: 86_400_000, marginMs: 1000 },
      { minuteMs: 600, dayMs: 10_000, marginMs: 25 },
      { minuteMs: 1000, dayMs: 10_000, marginMs: 0 },
    ]) {
      const { bucketMs, buckets } = bucketGeometry(windows);
      expect(bucketMs).toBe(Math.max(1, Math.floor(windows.marginMs / 4)));
      expect((buckets - 1) * bucketMs + 1).toBeGreaterThanOrEqual(windows.minuteMs + windows.marginMs);
      expect((buckets - 2) * bucketMs + 1).toBeLessThan(windows.minuteMs + windows.marginMs);
    }
  });

  it('on random traffic: FIFO, no window over the limits, at most two buckets later than the exact log', () => {
    const windows = { minuteMs: 1000, dayMs: 100_000, marginMs: 40 };
    const geometry = bucketGeometry(windows); // 10 ms buckets
    const windowMs = windows.minuteMs + windows.marginMs;
    fc.assert(
      fc.property(
        fc.record({ rpm: fc.integer({ min: 1, max: 20 }), tpm: fc.integer({ min: 50, max: 500 }) }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), tokens: fc.integer({ min: 1, max: 120 }) }), {
          minLength: 1,
          maxLength: 120,
        }),
        (limits, requests) => {
          const minute = new MinuteBuckets(geometry);
          const booked: Booking[] = [];
          let now = 1_000_000;
          requests.forEach(({ gap, tokens }, index) => {
            now += gap;
            minute.prune(now);
            const peeked = minute.slot(tokens, limits, now, false);
            const exact = exactSlot(booked, tokens, limits, now, windowMs);
            const at = minute.slot(tokens, limits, now, true);
            expect(peeked).toBe(at); // a peek tells what booking will give
            expect(at).toBeGreaterThanOrEqual(exact);
            expect(at).toBeLessThan(exact + 2 * geometry.bucketMs);
            minute.add(at, tokens, String(index));
            booked.push({ at, tokens });
          });
          for (let j = 0; j < booked.length; j++) {
            expect(booked[j]!.at).toBeGreaterThanOrEqual(j > 0 ? booked[j - 1]!.at : 0);
            // Every span of windowMs ending at a booking: at most rpm requests and tpm tokens (a
            // request over the whole tpm stands alone).
            const inWindow = booked.filter((entry) => entry.at > booked[j]!.at - windowMs && entry.at <= booked[j]!.at);
            expect(inWindow.length).toBeLessThanOrEqual(limits.rpm);
            const tokens = inWindow.reduce((sum, entry) => sum + entry.tokens, 0);
            if (inWindow.length > 1) expect(tokens).toBeLessThanOrEqual(limits.tpm);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('limits', () => {
  it('configured limits win over tier defaults; learned limits only lower them', () => {
    expect(resolveLimits('gemini-2.5-pro', { tier: 'free' })).toEqual({ rpm: 5, tpm: 250_000, rpd: 100 });
    expect(resolveLimits('gemini-2.5-pro', { tier: 'free', configured: { rpm: 50 } })).toEqual({ rpm: 50 });
    expect(resolveLimits('gemini-2.5-pro', { configured: { rpm: 50 }, learned: { rpm: 20, tpm: 10 } })).toEqual({
      rpm: 20,
      tpm: 10,
    });
    expect(resolveLimits('unknown-model', {})).toEqual({});
    expect(tightest({ rpm: 3 }, undefined, { rpm: 2, rpd: 9 })).toEqual({ rpm: 2, rpd: 9 });
  });
});

describe('memory store', () => {
  const windows = { minuteMs: 1000, dayMs: 10_000, marginMs: 0 };

  it('books FIFO slots that respect the rpm', async () => {
    const store = new MemoryPacingStore(windows);
    const slots = [];
    for (let i = 0; i < 5; i++) slots.push((await store.reserve('p/m', 1, { rpm: 2 }, 0)).at);
    expect(slots).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it('a cancelled booking gives its slot back', async () => {
    const store = new MemoryPacingStore(windows);
    await store.reserve('p/m', 1, { rpm: 1 }, 0);
    const second = await store.reserve('p/m', 1, { rpm: 1 }, 0);
    await store.cancel('p/m', second.id);
    expect((await store.reserve('p/m', 1, { rpm: 1 }, 0)).at).toBe(1000);
  });

  it('a spent day books nothing and says when it has room', async () => {
    const store = new MemoryPacingStore(windows);
    await store.reserve('p/m', 1, { rpd: 2 }, 0);
    await store.reserve('p/m', 1, { rpd: 2 }, 100);
    expect(await store.reserve('p/m', 1, { rpd: 2 }, 200)).toMatchObject({ dayFull: true, at: 10_000 });
    expect((await store.reserve('p/m', 1, { rpd: 2 }, 10_000)).dayFull).toBe(false);
    expect((await store.usage('p/m', 10_000)).dayRequests).toBe(2);
  });

  it('corrects token estimates', async () => {
    const store = new MemoryPacingStore(windows);
    const booked = await store.reserve('p/m', 500, { tpm: 1000 }, 0);
    await store.correct('p/m', booked.id, 100);
    expect((await store.reserve('p/m', 800, { tpm: 1000 }, 1)).at).toBe(1);
  });
});

describe('pacer', () => {
  it('learns the limit from a 429 QuotaFailure, per window', async () => {
    const learned: unknown[] = [];
    const pacer = new GeminiPacer({ clock: { minuteMs: 1000 }, onEvent: (event) => learned.push(event) });
    const error = classify({
      status: 429,
      body: JSON.stringify({
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          message: 'x',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [
                {
                  quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                  quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                  quotaValue: '3',
                },
                {
                  quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
                  quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
                  quotaValue: '1000',
                },
              ],
            },
          ],
        },
      }),
    });
    pacer.learn('p', 'm', error, 0);
    expect(pacer.limitsFor('p', 'm')).toEqual({ rpm: 3, tpm: 1000 });
    expect(learned).toHaveLength(2);
  });

  it('uses tier defaults for a project whose tier is known', () => {
    const pacer = new GeminiPacer({ tiers: { p: 'free' } });
    expect(pacer.limitsFor('p', 'gemini-2.5-flash').rpm).toBe(10);
    expect(pacer.limitsFor('other', 'gemini-2.5-flash')).toEqual({});
  });

  it('a reserve whose signal aborts while the store is answering rejects, and its late booking is given back', async () => {
    const memory = new MemoryPacingStore({ minuteMs: 1000, dayMs: 10_000, marginMs: 0 });
    let answer: (() => void) | undefined;
    let held = 1;
    // A store as slow as Redis in trouble for its first booking: made only when the test says so.
    const slow: PacingStore = Object.assign(Object.create(memory) as MemoryPacingStore, {
      reserve: (...args: Parameters<PacingStore['reserve']>) =>
        held-- > 0
          ? new Promise<Booked>((resolve) => {
              answer = () => resolve(memory.reserve(...args));
            })
          : memory.reserve(...args),
    });
    const pacer = new GeminiPacer({ limits: { m: { rpm: 1 } }, store: slow });
    const controller = new AbortController();
    const pending = pacer.reserve('p', 'm', 10, 0, controller.signal);
    controller.abort(new Error('the caller left'));
    await expect(pending).rejects.toThrow('the caller left');
    answer!();
    await new Promise((resolve) => setImmediate(resolve));
    // The booking the store made after the abort was cancelled: the one slot of the minute is free.
    expect((await memory.usage('p/m', 0)).minuteRequests).toBe(0);
    expect((await pacer.reserve('p', 'm', 10, 0)).at).toBe(0);
    // Already aborted: nothing is booked at all.
    await expect(pacer.reserve('p', 'm', 10, 0, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect((await memory.usage('p/m', 0)).minuteRequests).toBe(1);
  });

  it('caps concurrency per model, first come first served', async () => {
    const pacer = new GeminiPacer({ limits: { m: { concurrency: 1 } } });
    const order: number[] = [];
    const first = await pacer.enter('m');
    const second = pacer.enter('m').then((leave) => {
      order.push(2);
      return leave;
    });
    const third = pacer.enter('m').then((leave) => {
      order.push(3);
      return leave;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    first();
    (await second)();
    (await third)();
    expect(order).toEqual([2, 3]);
  });
});
