// Per-day Gemini quotas reset at midnight Pacific time (America/Los_Angeles, with daylight saving).

const PACIFIC = 'America/Los_Angeles';

const partsFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: PACIFIC,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function pacificParts(ms: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of partsFormatter.formatToParts(new Date(ms))) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return out;
}

/** Offset of Pacific time from UTC at an instant, in ms (negative: -7 h or -8 h). */
function pacificOffsetMs(ms: number): number {
  const p = pacificParts(ms);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

// Formatting dates in a time zone is slow, and this is asked on every paced request: remember the
// last answer, which stays right for every instant from the one it was computed for until it.
let cached = { from: Number.NaN, to: Number.NaN };

/** The instant of the next midnight in Pacific time strictly after `now`. */
export function nextPacificMidnight(now: number): number {
  if (now >= cached.from && now < cached.to) return cached.to;
  const next = computeNextPacificMidnight(now);
  cached = { from: now, to: next };
  return next;
}

function computeNextPacificMidnight(now: number): number {
  const p = pacificParts(now);
  // Midnight of the next Pacific calendar day, first guessed with today's offset, then corrected
  // with the offset in force at that instant (DST changes happen at 2 a.m., never at midnight).
  const nextDayUtc = Date.UTC(p.year!, p.month! - 1, p.day! + 1, 0, 0, 0);
  let guess = nextDayUtc - pacificOffsetMs(now);
  guess = nextDayUtc - pacificOffsetMs(guess);
  return guess;
}

/** "HH:MM Pacific" for an instant, for people. */
export function formatPacificTime(ms: number): string {
  const p = pacificParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} Pacific`;
}

/** "HH:MM" in the local zone of this machine, for people. */
export function formatLocalTime(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}
