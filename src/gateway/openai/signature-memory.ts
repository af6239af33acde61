// Thought signatures of the tool calls the gateway returned, kept by tool call id so that a client
// which does not echo `extra_content.google.thought_signature` back (most OpenAI clients drop
// unknown members) still sends Gemini 3 the signature it demands on the next turn.
import { realClock, type Clock } from '../../time/index.js';

export interface SignatureMemoryOptions {
  /** Most signatures kept; the oldest are forgotten first. Default 10,000. */
  maxEntries?: number;
  /** How long a signature is kept after it was handed out, in ms. Default 6 hours. */
  ttlMs?: number;
  clock?: Pick<Clock, 'now'>;
}

/**
 * A bounded map from tool call id to thought signature with expiry. Memory is per gateway process:
 * behind a load balancer a later turn may land on another gateway, where the client's own echo (or
 * the documented skip value, see openai-translate) has to carry the turn.
 */
export class SignatureMemory {
  private readonly entries = new Map<string, { signature: string; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(options: SignatureMemoryOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = options.ttlMs ?? 6 * 60 * 60 * 1000;
    this.clock = options.clock ?? realClock;
    if (!(this.maxEntries > 0) || !(this.ttlMs > 0))
      throw new RangeError('SignatureMemory: maxEntries and ttlMs must be positive');
  }

  /** Remembers the signature Gemini gave the call `id`. */
  remember(id: string, signature: string): void {
    this.entries.delete(id);
    this.entries.set(id, { signature, expiresAt: this.clock.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The signature remembered for the call `id`, or undefined when unknown or expired. */
  recall(id: string): string | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.signature;
  }

  get size(): number {
    return this.entries.size;
  }
}
