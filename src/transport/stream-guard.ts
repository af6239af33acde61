// Bounds a streamed answer's body once its first chunk is in the caller's hands: no read waits on
// the upstream longer than the idle limit, and none goes past the end of the whole call. Time the
// caller spends not reading (a slow client holding back the stream) is not counted: the clock runs
// only while a read is waiting for the upstream.
import { createGeminiError, type GeminiError } from '../errors/index.js';
import type { Clock } from '../time/index.js';
import { armTimer } from './arm-timer.js';

/** The limits of one body. Times in ms; `endBy` is epoch ms. */
export interface StreamLimits {
  clock: Clock;
  /** Longest wait for the next piece of the body, ms. */
  idleMs?: number;
  /** Epoch ms by which the body must be over (the call's `timeout.requestMs`). */
  endBy?: number;
  /** Says whether the limits apply yet: before the first chunk the attempt's own timers bound the wait. */
  armed: () => boolean;
  /** Called once when a limit cuts the body (close the connection). */
  onCut: () => void;
  /** The model and key hint the error names. */
  model?: string;
  keyHint?: string;
}

/**
 * The error of a body cut by a limit: kind `timeout`, blame `network` (the upstream went silent;
 * the request itself was fine). The stream reader adds the partial text.
 */
export function streamTimeoutError(
  limits: Pick<StreamLimits, 'model' | 'keyHint'>,
  cause: 'idle' | 'deadline',
  waitedMs: number,
): GeminiError {
  const message =
    cause === 'idle'
      ? `The stream went silent: no chunk for ${Math.round(waitedMs)} ms after the last one (timeout.idleMs).`
      : `The call's deadline (timeout.requestMs) passed before the stream ended.`;
  return createGeminiError({
    kind: 'timeout',
    blame: 'network',
    source: 'timeout',
    message,
    ...(limits.model !== undefined ? { model: limits.model } : {}),
    ...(limits.keyHint !== undefined ? { keyHint: limits.keyHint } : {}),
  });
}

/**
 * `source` read through the limits: a pull that waits longer than `idleMs`, or past `endBy`,
 * closes the connection (`onCut`) and errors the stream with a `timeout` GeminiError.
 */
export function guardStream(source: ReadableStream<Uint8Array>, limits: StreamLimits): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let cut = false;
  const silence = (): { ms: number; cause: 'idle' | 'deadline' } | undefined => {
    if (!limits.armed()) return undefined;
    const untilEnd = limits.endBy !== undefined ? limits.endBy - limits.clock.now() : Infinity;
    const idle = limits.idleMs ?? Infinity;
    if (untilEnd === Infinity && idle === Infinity) return undefined;
    return untilEnd < idle ? { ms: Math.max(0, untilEnd), cause: 'deadline' } : { ms: idle, cause: 'idle' };
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const limit = silence();
        const read = reader.read();
        let result: ReadableStreamReadResult<Uint8Array>;
        if (!limit) result = await read;
        else {
          let cancelTimer = () => {};
          const expired = new Promise<never>((_, reject) => {
            cancelTimer = armTimer(limits.clock, limit.ms, () => {
              cut = true;
              reject(streamTimeoutError(limits, limit.cause, limit.ms));
            });
          });
          try {
            result = await Promise.race([read, expired]);
          } catch (failure) {
            if (cut) {
              read.catch(() => undefined); // the cut connection makes this read fail: nobody waits for it
              limits.onCut();
            }
            throw failure;
          } finally {
            cancelTimer();
          }
        }
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel(reason) {
        if (!cut) await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
