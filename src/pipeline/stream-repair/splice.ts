// Where a repaired stream resumes: the text a new attempt produces is matched against what the
// client already holds (the ledger's text), and only what is new is let through. Every decision
// here is exact or refused: text the client has is never sent twice, and a new attempt that cannot
// be lined up with it is reported as diverged instead of being forwarded.

/** What a matcher says after seeing more of the new attempt's text. */
export type SpliceVerdict =
  | { state: 'pending' } // not enough text yet to decide; nothing may be forwarded
  | { state: 'spliced'; emit: string } // decided: forward `emit` (may be empty), and everything after it
  | { state: 'diverged'; reason: string }; // the new attempt does not continue what the client holds

/** Tunables of a continuation match, in UTF-16 code units of text. */
export interface SpliceLimits {
  /**
   * The shortest repeat of the delivered text's end that is cut. Repeats count only from the start
   * of a word (models repeat whole words; "the" after "…at the" is a repeat, "he" is not).
   */
  minOverlap: number;
  /** The longest repeat of the delivered text looked for at the start of a continuation. */
  maxOverlap: number;
  /** How much a continuation may say before resuming ("Sure, continuing: …"), dropped when found. */
  maxPreamble: number;
  /** How much of the delivered text's beginning, seen again, means the model started over. */
  restartProbe: number;
}

export const DEFAULT_SPLICE_LIMITS: SpliceLimits = {
  minOverlap: 3,
  maxOverlap: 400,
  maxPreamble: 300,
  restartProbe: 40,
};

/** A matcher is fed the new attempt's answer text as it streams, then told when it ended. */
export interface Splicer {
  push(text: string): SpliceVerdict;
  end(): SpliceVerdict;
}

/**
 * For a request sent again from the start: the new answer must reproduce the delivered text byte
 * for byte; only what comes after it is forwarded. Any difference is a divergence.
 */
export class ReplayMatcher implements Splicer {
  private seen = '';
  private decided = false;

  constructor(private readonly delivered: string) {}

  push(text: string): SpliceVerdict {
    if (this.decided) return { state: 'spliced', emit: text };
    this.seen += text;
    return this.judge(false);
  }

  end(): SpliceVerdict {
    return this.decided ? { state: 'spliced', emit: '' } : this.judge(true);
  }

  private judge(final: boolean): SpliceVerdict {
    const { delivered, seen } = this;
    if (seen.length < delivered.length) {
      if (!delivered.startsWith(seen)) return { state: 'diverged', reason: divergedAt(delivered, seen) };
      return final
        ? { state: 'diverged', reason: 'the new attempt ended before it reached the text already sent' }
        : { state: 'pending' };
    }
    if (!seen.startsWith(delivered)) return { state: 'diverged', reason: divergedAt(delivered, seen) };
    this.decided = true;
    return { state: 'spliced', emit: seen.slice(delivered.length) };
  }
}

/** How the model was asked to go on: by prefill (a model turn holding the delivered text) or asked to repeat an anchor. */
export type ContinuationStyle = { style: 'prefill' } | { style: 'anchored'; anchor: string };

/**
 * For a continuation request. Decides, from the first few hundred characters of the answer, which
 * of the behaviours seen in models it shows, and cuts accordingly:
 * - it started over (begins like the delivered text): replayed and checked byte for byte;
 * - it repeats the end of the delivered text (an overlap), possibly after a short preamble, or
 *   repeats the anchor it was asked for: everything up to the end of that repeat is dropped;
 * - prefill only: it simply goes on: forwarded as it is;
 * - anchored, and the anchor never comes: diverged (nothing shows where it resumed).
 */
export class ContinuationSplicer implements Splicer {
  private seen = '';
  private replay: ReplayMatcher | undefined;
  private decided = false;

  constructor(
    private readonly delivered: string,
    private readonly how: ContinuationStyle,
    private readonly limits: SpliceLimits = DEFAULT_SPLICE_LIMITS,
  ) {}

  push(text: string): SpliceVerdict {
    if (this.decided) return { state: 'spliced', emit: text };
    if (this.replay) return this.settle(this.replay.push(text));
    this.seen += text;
    return this.settle(this.judge(false));
  }

  end(): SpliceVerdict {
    if (this.decided) return { state: 'spliced', emit: '' };
    if (this.replay) return this.settle(this.replay.end());
    return this.settle(this.judge(true));
  }

  private settle(verdict: SpliceVerdict): SpliceVerdict {
    if (verdict.state === 'spliced') this.decided = true;
    return verdict;
  }

  private judge(final: boolean): SpliceVerdict {
    const { delivered, seen, limits } = this;
    if (delivered.length === 0) return { state: 'spliced', emit: seen };

    const probe = delivered.slice(0, Math.min(delivered.length, limits.restartProbe));
    const trimmed = seen.trimStart();
    if (trimmed.length < probe.length && probe.startsWith(trimmed) && trimmed.length > 0 && !final)
      return { state: 'pending' }; // may be starting over: wait for the probe
    if (trimmed.startsWith(probe)) {
      this.replay = new ReplayMatcher(delivered);
      const verdict = this.replay.push(trimmed);
      return final && verdict.state === 'pending' ? this.replay.end() : verdict;
    }

    return this.how.style === 'prefill' ? this.judgePrefill(final) : this.judgeAnchored(this.how.anchor, final);
  }

  /** Prefill: the answer goes on from the delivered text, maybe repeating its end first. */
  private judgePrefill(final: boolean): SpliceVerdict {
    const { delivered, seen, limits } = this;
    const overlap = longestOverlap(delivered, seen, limits);
    if (overlap > 0 && (overlap < seen.length || final)) return { state: 'spliced', emit: seen.slice(overlap) };
    // Still inside what could become a repeat of the delivered text's end: wait to see.
    if (!final && seen.length <= limits.maxOverlap && couldGrowIntoOverlap(delivered, seen, limits))
      return { state: 'pending' };
    return { state: 'spliced', emit: seen };
  }

  /** Anchored: the answer was asked to repeat `anchor` (the delivered text's last words) first. */
  private judgeAnchored(anchor: string, final: boolean): SpliceVerdict {
    const { seen, limits } = this;
    const window = limits.maxPreamble + limits.maxOverlap + anchor.length;
    const at = seen.indexOf(anchor);
    if (at >= 0 && at <= limits.maxPreamble + limits.maxOverlap) {
      const after = at + anchor.length;
      // Wait for the first character after the anchor's white space: the anchor's last word may go
      // on in the next chunk ("…the bo" + "ok"), and the separator may be split across chunks.
      if (seen.slice(after).trim().length === 0 && !final) return { state: 'pending' };
      return { state: 'spliced', emit: joinAfter(this.delivered, seen.slice(after)) };
    }
    if (!final && seen.length < window) return { state: 'pending' };
    return { state: 'diverged', reason: 'the continuation never repeated the words it was asked to resume from' };
  }
}

/**
 * The longest k such that `seen` starts with the last k characters of `delivered`, where those
 * characters begin a word and hold at least `minOverlap` non-space characters; 0 when none does.
 */
function longestOverlap(delivered: string, seen: string, limits: SpliceLimits): number {
  const most = Math.min(delivered.length, seen.length, limits.maxOverlap);
  for (let k = most; k > 0; k--) {
    const from = delivered.length - k;
    if (!startsWord(delivered, from)) continue;
    const repeat = delivered.slice(from);
    if (repeat.trim().length < limits.minOverlap) break;
    if (seen.startsWith(repeat)) return k;
  }
  return 0;
}

/** Whether a word starts at `index` (after a space or punctuation, or at any CJK character). */
function startsWord(text: string, index: number): boolean {
  if (index === 0) return true;
  const here = text[index]!;
  const before = text[index - 1]!;
  if (/\s/u.test(here)) return false;
  return /[\s\p{P}]/u.test(before) || /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(here);
}

/** Whether `seen` is a beginning of some long-enough suffix of `delivered` (an overlap still arriving). */
function couldGrowIntoOverlap(delivered: string, seen: string, limits: SpliceLimits): boolean {
  if (seen.length === 0) return true;
  const tail = delivered.slice(Math.max(0, delivered.length - limits.maxOverlap));
  for (let from = tail.indexOf(seen); from >= 0; from = tail.indexOf(seen, from + 1)) {
    if (tail.length - from >= limits.minOverlap) return true;
  }
  return false;
}

/**
 * The delivered text may end in white space that the anchor left out; the model then writes its own
 * separator after the anchor. Keep one: the one the client already has.
 */
function joinAfter(delivered: string, emit: string): string {
  const space = /\s*$/u.exec(delivered)![0];
  if (space.length === 0) return emit;
  return emit.startsWith(space) ? emit.slice(space.length) : emit.replace(/^\s+/u, '');
}

function divergedAt(delivered: string, seen: string): string {
  let at = 0;
  while (at < delivered.length && at < seen.length && delivered[at] === seen[at]) at++;
  return `the new attempt differs from the text already sent at character ${at}`;
}

/**
 * The words a continuation is asked to repeat before going on: the delivered text's last few words
 * (or, for scripts without spaces, its last characters), long enough not to occur by chance.
 */
export function anchorOf(delivered: string): string {
  const text = delivered.trimEnd();
  if (text.length <= 24) return text;
  const words = text.split(/(?<=\s)/u);
  let anchor = '';
  for (let i = words.length - 1; i >= 0; i--) {
    anchor = words[i] + anchor;
    if (anchor.trim().split(/\s+/u).length >= 6 || anchor.length >= 48) break;
  }
  if (anchor.length < 16) anchor = text.slice(-16);
  return anchor.length > 80 ? anchor.slice(anchor.length - 80) : anchor.trimStart();
}
