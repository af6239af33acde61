// The events the pipeline emits. The library never prints: callers (the CLI, the gateway, the
// status page) subscribe and decide what to show. No event carries more of a key than its hint.
import { EventEmitter } from 'node:events';
import type { ErrorKind } from '../errors/index.js';

export interface PipelineEvents {
  'attempt-failed': {
    model: string;
    keyHint: string;
    kind: ErrorKind;
    status?: number;
    message: string;
    attempt: number;
    /** What the policy decided: retry, fallback, shrink or fail. */
    action: string;
    /** Why, in words (the rule's reason), for logs and the status page. */
    reason: string;
    durationMs: number;
    /** explain()'s words for this failure's situation (title and explanation), for people. */
    title: string;
    explanation: string;
  };
  'attempt-succeeded': { model: string; keyHint: string; attempt: number; durationMs: number };
  'retry-scheduled': { model: string; delayMs: number; kind: ErrorKind; attempt: number };
  'model-fallback': { from: string; to: string; reason: string };
  'key-disabled': { keyHint: string; project: string; model?: string; reason: string; kind: ErrorKind };
  /** A key taken out came back after a probe found it healthy (or another gateway of the fleet did). */
  'key-restored': { keyHint: string; project: string; model?: string; downForMs: number };
  /** A probe of a key that is out: ok false means still out, probed again in `nextProbeInMs`. */
  'key-probe': { keyHint: string; project: string; ok: boolean; nextProbeInMs?: number };
  /** Where fleet state lives now: shared through Redis, or local to this process (with why). */
  'fleet-state': { state: 'shared' | 'local'; reason?: string };
  'key-parked': { project: string; model: string; until: number; reason: string };
  'circuit-opened': { model: string; until: number };
  'circuit-closed': { model: string };
  'quota-waited': { project: string; model: string; waitedMs: number };
  'wait-started': { project: string; model: string; until: number; reason: 'quota' | 'backoff' };
  'request-succeeded': { model: string; requestedModel: string; attempts: number; durationMs: number };
  'request-failed': { requestedModel: string; kind: ErrorKind; attempts: number; durationMs: number };
  'pacing-degraded': { reason: string };
  'pacing-restored': Record<string, never>;
  /** A stream broke after its first chunk and a repair was tried (pipeline/stream-repair). */
  'stream-repair': {
    model: string;
    mode: 'off' | 'restart' | 'continue' | 'auto';
    strategy: 'restart' | 'prefill' | 'anchored';
    outcome: 'repaired' | 'diverged' | 'failed' | 'prefill-refused';
    deliveredChars: number;
    reason?: string;
  };
  'limit-learned': { project: string; model: string; window: 'rpm' | 'tpm' | 'rpd'; limit: number };
}

export type PipelineEventName = keyof PipelineEvents;

export class PipelineEmitter {
  private readonly emitter = new EventEmitter();

  on<E extends PipelineEventName>(event: E, handler: (payload: PipelineEvents[E]) => void): () => void {
    this.emitter.on(event, handler);
    return () => this.emitter.off(event, handler);
  }

  off<E extends PipelineEventName>(event: E, handler: (payload: PipelineEvents[E]) => void): void {
    this.emitter.off(event, handler);
  }

  emit<E extends PipelineEventName>(event: E, payload: PipelineEvents[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (payload: PipelineEvents[E]) => void)(payload);
      } catch {
        // A subscriber's bug must not break a request.
      }
    }
  }
}
