// Probes keys that are out of the pool and brings them back when they are healthy (issue 15). A key
// taken out for a key or project reason (suspended, invalid, API disabled…) is asked again with a call
// that costs no generation quota, on a backoff of 1 minute doubling to 1 hour (KeyPool's schedule);
// a healthy answer puts it back (event `key-restored`), anything else schedules the next probe
// (event `key-probe`). The prober holds the one timer of the pool, on the client's clock.
import { toGeminiError, type GeminiError } from '../errors/index.js';
import type { KeyOutage, KeyPool } from '../policy/index.js';
import type { Clock } from '../time/index.js';
import type { PipelineEmitter } from './events.js';

/**
 * One probe call for an outage: resolves when the key answered, throws (a GeminiError, preferably)
 * when it did not. It must cost no generation quota (models.get, countTokens).
 */
export type ProbeCall = (outage: KeyOutage, signal: AbortSignal) => Promise<void>;

/**
 * Fleet coordination (fleet state): `claim` resolves true when this process should make the probe
 * (one process probes for the fleet); `probed` shares the verdict with the others.
 */
export interface ProbeCoordinator {
  claim(outage: KeyOutage): Promise<boolean>;
  probed(outage: KeyOutage, healthy: boolean): void;
}

export interface KeyProberOptions {
  keys: KeyPool;
  clock: Clock;
  events: PipelineEmitter;
  probe: ProbeCall;
  coordinator?: ProbeCoordinator;
}

/**
 * What a probe's failure says about the key: 'out' when it is about the key or its project,
 * 'healthy' when it is about something else the key can reach (the model is unknown or refused to
 * this key only: the whole key works), 'unknown' when nothing was learned (network, capacity, quota).
 */
export function probeVerdict(error: GeminiError, outage: KeyOutage): 'healthy' | 'out' | 'unknown' {
  if (error.blame === 'key' || error.blame === 'project') return 'out';
  if (error.kind === 'api_key_invalid' || error.kind === 'location_unsupported') return 'out';
  if (error.blame === 'model' || error.blame === 'resource') {
    // A key out for one model is still out when that model still refuses it.
    if (outage.model && error.kind === 'permission_denied') return 'out';
    return 'healthy';
  }
  if (error.kind === 'permission_denied') return 'out';
  return 'unknown';
}

export class KeyProber {
  private cancelTimer: (() => void) | undefined;
  private timerAt: number | undefined;
  private readonly running = new Set<KeyOutage>();
  private readonly controller = new AbortController();
  private readonly stopListening: () => void;
  private closed = false;

  constructor(private readonly options: KeyProberOptions) {
    this.stopListening = options.keys.onChange((change) => {
      if (change.type !== 'parked' && change.type !== 'cooling') this.schedule();
    });
  }

  /** Sets the timer for the soonest due probe (none when no key is out). */
  schedule(): void {
    if (this.closed) return;
    const at = this.options.keys.nextProbeAt();
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    const delay = Math.max(0, at - this.options.clock.now());
    this.cancelTimer = this.options.clock.timer(delay, () => {
      this.timerAt = undefined;
      this.cancelTimer = undefined;
      void this.runDue();
    });
  }

  /** Probes every outage that is due now; resolves when they are done. */
  async runDue(): Promise<void> {
    const due = this.options.keys.dueProbes(this.options.clock.now()).filter((outage) => !this.running.has(outage));
    await Promise.all(due.map((outage) => this.probeOne(outage)));
    this.schedule();
  }

  private async probeOne(outage: KeyOutage): Promise<void> {
    const { keys, clock, events, coordinator } = this.options;
    this.running.add(outage);
    try {
      if (coordinator && !(await coordinator.claim(outage))) return;
      if (this.closed || keys.outage(outage.key, outage.model) !== outage) return;
      const verdict = await this.ask(outage);
      if (this.closed || keys.outage(outage.key, outage.model) !== outage) return;
      const { key } = outage;
      const now = clock.now();
      if (verdict === 'healthy') {
        keys.restore(key, outage.model, now);
        coordinator?.probed(outage, true);
        events.emit('key-probe', { keyHint: key.hint, project: key.project, ok: true });
        events.emit('key-restored', {
          keyHint: key.hint,
          project: key.project,
          ...(outage.model ? { model: outage.model } : {}),
          downForMs: now - outage.since,
        });
        return;
      }
      if (verdict === 'out') keys.probeFailed(outage, now);
      else keys.reschedule(outage, now + outage.intervalMs, outage.intervalMs, outage.failedProbes);
      coordinator?.probed(outage, false);
      events.emit('key-probe', {
        keyHint: key.hint,
        project: key.project,
        ok: false,
        nextProbeInMs: outage.nextProbeAt - now,
      });
    } finally {
      this.running.delete(outage);
    }
  }

  /** Makes the probe call within the probe timeout and judges its answer. */
  private async ask(outage: KeyOutage): Promise<'healthy' | 'out' | 'unknown'> {
    const { clock, keys, probe } = this.options;
    const attempt = new AbortController();
    const onClose = () => attempt.abort(this.controller.signal.reason);
    this.controller.signal.addEventListener('abort', onClose, { once: true });
    const cancel = clock.timer(keys.probe.timeoutMs, () => attempt.abort(new Error('probe timed out')));
    try {
      await probe(outage, attempt.signal);
      return 'healthy';
    } catch (thrown) {
      if (attempt.signal.aborted) return 'unknown';
      const error = toGeminiError(thrown, { keyHint: outage.key.hint, secrets: [outage.key.key] });
      return probeVerdict(error, outage);
    } finally {
      cancel();
      this.controller.signal.removeEventListener('abort', onClose);
    }
  }

  /** Stops the timer and aborts probes under way. */
  close(): void {
    this.closed = true;
    this.stopListening();
    this.cancelTimer?.();
    this.controller.abort(new Error('client closed'));
  }
}
