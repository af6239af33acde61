// Holds back the trailing partial word of streamed text, so that what the client has received
// always ends on a word boundary. A repair then splices at a boundary: a model continuing from a
// whole word is far more faithful than one asked to finish half a word (tokens rarely end
// mid-word the same way twice).

/**
 * A trailing run of letters, marks and digits of scripts that separate words with spaces. Chinese
 * and Japanese (Han, Hiragana, Katakana) have no spaces: every character boundary is a word
 * boundary there, so nothing is held back for them.
 */
const TRAILING_WORD = /(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}\p{N}_'’-])+$/u;

/** Splits `text` into what may be sent now and the trailing partial word to hold back. */
export function splitTrailingWord(text: string): { ready: string; held: string } {
  const match = TRAILING_WORD.exec(text);
  if (!match) return { ready: text, held: '' };
  return { ready: text.slice(0, match.index), held: text.slice(match.index) };
}

/** Longer than any word: a run this long (a URL, a hash) is sent rather than stall the stream. */
const MAX_HELD = 64;

/**
 * Feeds streamed text through; `push` returns what may be forwarded now, `flush` the rest at the
 * end of the answer. The concatenation of every output equals the concatenation of every input.
 */
export class WordHoldback {
  private held = '';

  /** Text of one chunk in → text to forward now (may be empty). */
  push(text: string): string {
    const { ready, held } = splitTrailingWord(this.held + text);
    if (held.length > MAX_HELD) {
      this.held = '';
      return ready + held;
    }
    this.held = held;
    return ready;
  }

  /** The partial word still held (what a repair regenerates instead of sending). */
  pending(): string {
    return this.held;
  }

  /** Forgets the held word: it was never sent, and a repair writes it again. */
  discard(): void {
    this.held = '';
  }

  /** At the end of the answer: everything still held. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
