// protobuf Duration in its JSON form: decimal seconds with an "s" suffix ("26s", "2.463586755s").

const DURATION_PATTERN = /^\s*(-?)(\d+)(?:\.(\d{1,9}))?s\s*$/;

/** Milliseconds for a Duration string, kept to the millisecond (rounded up); undefined if malformed. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const nanos = Number((fraction + '000000000').slice(0, 9));
  const ms = Number(whole) * 1000 + Math.ceil(nanos / 1e6);
  return sign === '-' ? -ms : ms;
}

/** A Duration string for milliseconds, as Google writes it: integral seconds stay "26s". */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  const seconds = safe / 1000;
  if (Number.isInteger(seconds)) return `${seconds}s`;
  return `${seconds.toFixed(9).replace(/0+$/, '')}s`;
}
