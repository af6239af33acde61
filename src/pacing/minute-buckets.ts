// The rolling minute of one (project, model) pair as fixed time buckets with running sums, so the
// cost of booking a request does not grow with the number of requests in the minute.
//
// Time is cut into buckets of `bucketMs`. A request booked in bucket k is checked against the sum of
// the `buckets` buckets k-buckets+1 … k (its window). Bookings are first come, first served, so a
// new booking never lands before the last one and every later window is a subset of the window
// checked when the last booking of it was made; checking the newest window is therefore enough.
// When the window is too full, the oldest buckets are excluded one by one (the window start only
// moves forward, so each bucket is walked over once: amortised O(1) per booking) and the request
// goes to the first bucket whose window no longer holds them.
//
// Why this is safe against any window the server counts in: a request booked in bucket k and one in
// an excluded bucket e < k-buckets+1 are at least (buckets-1)·bucketMs+1 ms apart, and
// `bucketGeometry` picks `buckets` so that this is ≥ the rolling window (the minute plus its
// margin). So the guarantee is the one a per-request log gives (no span of the window holds more than
// the limits), never weaker; what the buckets cost is at most one bucket of extra waiting when a
// limit binds. The bucket is a quarter of the margin, so that cost is small beside the margin we
// already pay; with no margin the bucket is 1 ms and the result is exactly the per-request log's.
//
// The same algorithm runs as a Lua script in Redis (redis-store.ts); both are tested against each
// other on random sequences.
import type { Limits } from './limits.js';
import type { Windows } from './store.js';

/** How the rolling window is cut: `bucketMs` (whole ms ≥ 1) and how many buckets one window spans. */
export interface BucketGeometry {
  bucketMs: number;
  buckets: number;
}

/** Buckets of a quarter of the margin (≥ 1 ms), enough of them that a window spans ≥ minute + margin. */
export function bucketGeometry(windows: Windows): BucketGeometry {
  const windowMs = Math.max(1, Math.ceil(windows.minuteMs + windows.marginMs));
  const bucketMs = Math.max(1, Math.floor(windows.marginMs / 4));
  // (buckets-1)·bucketMs + 1 ≥ windowMs: two bookings a window apart are never in one checked window.
  return { bucketMs, buckets: Math.ceil((windowMs - 1) / bucketMs) + 1 };
}

interface Bucket {
  index: number;
  requests: number;
  tokens: number;
  /** Ids booked here, so a pruned bucket forgets its bookings. */
  ids: string[];
}

interface Entry {
  bucket: Bucket;
  tokens: number;
  at: number;
}

/** Minute usage as the status page shows it (bucket precision). */
export interface MinuteUsage {
  requests: number;
  tokens: number;
  /** Bookings in buckets after the one holding `now`. */
  waiting: number;
}

export class MinuteBuckets {
  /** Non-empty buckets in index order; positions before `head` are gone. */
  private buckets: Bucket[] = [];
  private head = 0;
  /** First position inside the window; every position before it has index < windowStart. */
  private windowPos = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowRequests = 0;
  private windowTokens = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly byId = new Map<string, Entry>();

  constructor(private readonly geometry: BucketGeometry) {}

  private indexOf(time: number): number {
    return Math.floor(time / this.geometry.bucketMs);
  }

  /** The earliest time a booking in the window starting at bucket `start` may take. */
  private floorOf(start: number): number {
    return (start + this.geometry.buckets - 1) * this.geometry.bucketMs;
  }

  /** Moves the window start to `start`, dropping the buckets it passes from the running sums. */
  private advanceTo(start: number): void {
    if (start <= this.windowStart) return;
    while (this.windowPos < this.buckets.length && this.buckets[this.windowPos]!.index < start) {
      const bucket = this.buckets[this.windowPos++]!;
      this.windowRequests -= bucket.requests;
      this.windowTokens -= bucket.tokens;
    }
    this.windowStart = start;
  }

  /** Excludes the oldest bucket of the window; false when the window holds no bucket. */
  private excludeOldest(): boolean {
    const bucket = this.buckets[this.windowPos];
    if (!bucket) return false;
    this.advanceTo(bucket.index + 1);
    return true;
  }

  /**
   * When a request of `tokens` input tokens may be sent so no window passes `limits.rpm` or
   * `limits.tpm` (ms since the epoch, ≥ now). With `commit`, the window start moves forward for good
   * (as booking does); without it nothing changes (a peek). A request over the whole TPM waits for an
   * empty window.
   */
  slot(tokens: number, limits: Limits, now: number, commit: boolean): number {
    const base = Math.max(now, this.lastAt);
    this.advanceTo(this.indexOf(base) - this.geometry.buckets + 1); // time alone: always safe to keep
    const rpm = limits.rpm !== undefined && limits.rpm > 0 ? limits.rpm : undefined;
    const tpm = limits.tpm !== undefined && limits.tpm > 0 ? limits.tpm : undefined;
    const need = tpm === undefined ? 0 : Math.min(tokens, tpm);
    const fits = (requests: number, sum: number) =>
      (rpm === undefined || requests + 1 <= rpm) && (tpm === undefined || sum + need <= tpm);
    if (commit) {
      while (!fits(this.windowRequests, this.windowTokens) && this.excludeOldest());
      return Math.max(base, this.floorOf(this.windowStart));
    }
    let start = this.windowStart;
    let requests = this.windowRequests;
    let sum = this.windowTokens;
    for (let position = this.windowPos; !fits(requests, sum) && position < this.buckets.length; position++) {
      const bucket = this.buckets[position]!;
      requests -= bucket.requests;
      sum -= bucket.tokens;
      start = bucket.index + 1;
    }
    return Math.max(base, this.floorOf(start));
  }

  /** Books `tokens` at `at` under `id`. Out-of-order times (a mirrored booking) are placed too. */
  add(at: number, tokens: number, id: string): void {
    const index = this.indexOf(at);
    let position = this.buckets.length - 1;
    while (position >= this.head && this.buckets[position]!.index > index) position--;
    let bucket = position >= this.head ? this.buckets[position] : undefined;
    if (!bucket || bucket.index !== index) {
      bucket = { index, requests: 0, tokens: 0, ids: [] };
      this.buckets.splice(position + 1, 0, bucket); // almost always an append
      if (index < this.windowStart) this.windowPos++; // landed before the window: stays outside it
    }
    bucket.requests++;
    bucket.tokens += tokens;
    bucket.ids.push(id);
    this.byId.set(id, { bucket, tokens, at });
    if (index >= this.windowStart) {
      this.windowRequests++;
      this.windowTokens += tokens;
    }
    if (at > this.lastAt) this.lastAt = at;
  }

  /**
   * Gives a booking back; returns when it was booked for (undefined if unknown or already forgotten).
   * The window start stays where it is: capacity freed behind it is not reclaimed early (safe, and rare).
   */
  remove(id: string): number | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    this.byId.delete(id);
    entry.bucket.requests--;
    entry.bucket.tokens -= entry.tokens;
    if (entry.bucket.index >= this.windowStart) {
      this.windowRequests--;
      this.windowTokens -= entry.tokens;
    }
    return entry.at;
  }

  /** Replaces a booking's token estimate with the real count. */
  correct(id: string, tokens: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    const delta = tokens - entry.tokens;
    entry.tokens = tokens;
    entry.bucket.tokens += delta;
    if (entry.bucket.index >= this.windowStart) this.windowTokens += delta;
  }

  /** Forgets buckets that can no longer count in any window from `now` on. */
  prune(now: number): void {
    const keepFrom = Math.min(this.windowStart, this.indexOf(now) - this.geometry.buckets + 1);
    while (this.head < this.windowPos && this.buckets[this.head]!.index < keepFrom) {
      for (const id of this.buckets[this.head]!.ids) this.byId.delete(id);
      this.head++;
    }
    // Compact now and then, so the array does not keep every bucket ever made.
    if (this.head > 1024 && this.head * 2 > this.buckets.length) {
      this.buckets.splice(0, this.head);
      this.windowPos -= this.head;
      this.head = 0;
    }
  }

  /** Requests and tokens in the minute ending at `now`, and bookings after it. */
  usage(now: number, minuteMs: number): MinuteUsage {
    const current = this.indexOf(now);
    const first = this.indexOf(now - minuteMs) + 1;
    const out = { requests: 0, tokens: 0, waiting: 0 };
    for (let position = this.buckets.length - 1; position >= this.head; position--) {
      const bucket = this.buckets[position]!;
      if (bucket.index > current) out.waiting += bucket.requests;
      else if (bucket.index >= first) {
        out.requests += bucket.requests;
        out.tokens += bucket.tokens;
      } else break;
    }
    return out;
  }
}
