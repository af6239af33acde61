// Requests in flight at once per model (the `concurrency` limit), first come first served.

/** A counting semaphore with a FIFO queue; a waiter whose signal aborts leaves the queue. */
export class Semaphore {
  private active = 0;
  private queue: Array<() => void> = [];

  /** `size`: how many holders at once (≥ 1). */
  constructor(private readonly size: number) {}

  /** Resolves with the function that frees the slot (safe to call twice); rejects with the signal's reason. */
  async enter(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.queue = this.queue.filter((entry) => entry !== wake);
          reject(signal!.reason);
        };
        this.queue.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active++;
    }
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      const next = this.queue.shift();
      if (next)
        next(); // the slot passes straight to the next in line
      else this.active--;
    };
  }
}
