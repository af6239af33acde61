// The pacer interface the pipeline consults before every attempt: may this (project, model) send a
// request of about N input tokens now, or how long must it wait?
import type { GeminiError } from '../errors/index.js';

export interface PacerTicket {
  /** Reports the outcome: the real input token count corrects the estimate; a failure returns the slot. */
  release(outcome: { inputTokens?: number; failed?: boolean }): void;
}

export interface Pacer {
  /** Milliseconds until the pair can take a request of `tokens` (0: now). Reserves nothing. */
  waitMs(project: string, model: string, tokens: number, now: number): Promise<number>;
  /** Reserves room for one request, or undefined when there is none now (ask waitMs again). */
  tryAcquire(project: string, model: string, tokens: number, now: number): Promise<PacerTicket | undefined>;
  /** Learns limits from a 429 (QuotaFailure quota values). */
  learn(project: string, model: string, error: GeminiError, now: number): void;
}

const NO_TICKET: PacerTicket = { release: () => undefined };

/** A pacer that never waits: the default until limits are configured. */
export const unlimitedPacer: Pacer = {
  waitMs: async () => 0,
  tryAcquire: async () => NO_TICKET,
  learn: () => undefined,
};
