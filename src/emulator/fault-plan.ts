// The fault plan: which requests fail, and how. A fault applies when every condition it names
// holds: model, key, project, time window (afterMs/forMs from the plan's start), first N, every N-th,
// and a seeded random rate.
import { seededRandom } from '../time/index.js';
import type { Fault } from './config.js';

export interface FaultTarget {
  model: string;
  key: string;
  project: string;
  prompt?: string;
}

export interface FaultHit {
  fault: Fault;
  index: number;
}

export class FaultPlan {
  private matched: number[];
  private readonly random: () => number;

  constructor(
    private readonly faults: readonly Fault[],
    private readonly startedAt: number,
    seed: number,
  ) {
    this.matched = faults.map(() => 0);
    this.random = seededRandom(seed);
  }

  /** The faults that apply to a request, split by when they act. */
  select(
    target: FaultTarget,
    now: number,
  ): {
    before: FaultHit | undefined;
    midStream: FaultHit | undefined;
    answer: FaultHit | undefined;
    latencyMs: number;
  } {
    let before: FaultHit | undefined;
    let midStream: FaultHit | undefined;
    let answer: FaultHit | undefined;
    let latencyMs = 0;
    this.faults.forEach((fault, index) => {
      if (fault.model !== undefined && fault.model !== target.model) return;
      if (fault.key !== undefined && fault.key !== target.key) return;
      if (fault.project !== undefined && fault.project !== target.project) return;
      if (fault.promptContains !== undefined && !(target.prompt ?? '').includes(fault.promptContains)) return;
      const elapsed = now - this.startedAt;
      if (fault.afterMs !== undefined && elapsed < fault.afterMs) return;
      if (fault.forMs !== undefined && elapsed >= (fault.afterMs ?? 0) + fault.forMs) return;
      const count = ++this.matched[index]!;
      if (fault.first !== undefined && count > fault.first) return;
      if (fault.every !== undefined && count % fault.every !== 0) return;
      if (fault.rate !== undefined && this.random() >= fault.rate) return;
      if (fault.latencyMs !== undefined) latencyMs += fault.latencyMs;
      if (fault.finishReason !== undefined || fault.blockReason !== undefined) answer ??= { fault, index };
      // A mid-stream break needs no status unless it writes an error object into the stream.
      if (fault.midStream && (fault.status !== undefined || (fault.breakAs ?? 'error') !== 'error'))
        midStream ??= { fault, index };
      else if (fault.status !== undefined && !fault.midStream) before ??= { fault, index };
    });
    return { before, midStream, answer, latencyMs };
  }
}
