import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from './clock.js';
import { formatPacificTime, nextPacificMidnight } from './pacific.js';

describe('nextPacificMidnight', () => {
  it('in winter (PST, UTC-8)', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 10, 28, 12, 0))).toBe(Date.UTC(2026, 10, 29, 8, 0));
  });
  it('in summer (PDT, UTC-7)', () => {
    expect(nextPacificMidnight(Date.UTC(2026, 6, 1, 6, 59))).toBe(Date.UTC(2026, 6, 1, 7, 0));
    expect(nextPacificMidnight(Date.UTC(2026, 6, 1, 7, 0))).toBe(Date.UTC(2026, 6, 2, 7, 0));
  });
  it('across the change to standard time', () => {
    // 2026-11-01 is the day PDT ends; midnight of Nov 2 is at 08:00 UTC.
    expect(nextPacificMidnight(Date.UTC(2026, 10, 1, 12, 0))).toBe(Date.UTC(2026, 10, 2, 8, 0));
  });
  it('formats for people', () => {
    expect(formatPacificTime(Date.UTC(2026, 10, 29, 8, 0))).toBe('00:00 Pacific');
  });
});

describe('FakeClock', () => {
  it('wakes sleepers in order as time advances', async () => {
    const clock = new FakeClock(1000);
    const woke: number[] = [];
    void clock.sleep(300).then(() => woke.push(clock.now()));
    void clock.sleep(100).then(() => woke.push(clock.now()));
    await clock.advance(200);
    expect(woke).toEqual([1100]);
    await clock.advance(200);
    expect(woke).toEqual([1100, 1300]);
  });
  it('rejects a sleep when its signal aborts', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toThrow();
  });
  it('seeded random repeats', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
