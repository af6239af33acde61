// Time and randomness behind one interface, so backoff, breakers and quotas can be tested without
// real sleeps. Nothing else in gemwarden reads Date.now, setTimeout or Math.random directly.

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  /** Calls `callback` after `ms` unless the returned cancel function is called first. */
  timer(ms: number, callback: () => void): () => void;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export const realClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  timer(ms, callback) {
    const handle = setTimeout(callback, Math.max(0, ms));
    // A timer never keeps the process alive by itself (a key probe an hour away must not stop a
    // script from exiting); the work a timer guards (a socket, a request) holds the process.
    handle.unref?.();
    return () => clearTimeout(handle);
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** A seeded generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** A manual clock for tests: time moves only through advance(). */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private readonly rng: () => number;

  constructor(start = 0, seed = 1) {
    this.current = start;
    this.rng = seededRandom(seed);
  }

  now(): number {
    return this.current;
  }

  random(): number {
    return this.rng();
  }

  timer(ms: number, callback: () => void): () => void {
    const sleeper: Sleeper = { at: this.current + Math.max(0, ms), resolve: callback };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const sleeper: Sleeper = { at: this.current + Math.max(0, ms), resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(abortReason(signal));
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, waking sleepers in order, letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = next.at;
      next.resolve();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.current = target;
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }

  pendingSleepers(): number {
    return this.sleepers.length;
  }
}
