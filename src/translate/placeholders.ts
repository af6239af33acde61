// Shielding markup and variables inside a line before it goes to the model, and checking the reply.
// Each piece the format marks (tags, control codes, escapes) and each common variable ({0}, {name},
// %s, %1$d, <br>, literal \n) becomes a numbered token ⟦1⟧, ⟦2⟧ … The tokens have no letters, so a
// model has no reason to translate them; the reply must hold each token exactly once (order may
// change: languages order words differently) and no other, or it is asked again.

/**
 * Variables and markup common to every format: {0}, {name}, printf and Python conversions (%s,
 * %1$d, %-5.2f, %(name)s, %r), strftime directives (%b %d, %H:%M, as in Ren'Py's file times),
 * %% escapes, HTML-like tags and literal \n. A conversion takes no space flag and may not run on into a word:
 * "100% sure" and "60% des cas" are prose, and shielding "% s" or "% d" there would hand the model
 * a word cut in half and write the piece back wherever the token lands.
 */
const COMMON =
  /\{\d+\}|\{[A-Za-z_][\w.]*\}|%(?:\d+\$|\([A-Za-z_]\w*\))?[-+#0]*\d*(?:\.\d+)?[sdifuxXcoeEgGra@](?![A-Za-z])|%[AbBHIjmMpSUwWyYZ](?![A-Za-z])|%%|<\/?[A-Za-z][^<>\r\n]*>|\\[nrt]/g;

const TOKEN = /⟦(\d+)⟧/g;

export interface ShieldedText {
  /** The text as sent, markup replaced by ⟦n⟧. */
  text: string;
  /** Token number (1-based) → the markup it stands for. */
  pieces: string[];
}

function combined(formatPattern?: RegExp): RegExp {
  return new RegExp(formatPattern ? `${formatPattern.source}|${COMMON.source}` : COMMON.source, 'g');
}

/** Replaces markup by tokens. A text that already holds "⟦" keeps it as a piece, so no token is ambiguous. */
export function shield(text: string, formatPattern?: RegExp): ShieldedText {
  const pieces: string[] = [];
  const pattern = new RegExp(`⟦|⟧|${combined(formatPattern).source}`, 'g');
  const shielded = text.replace(pattern, (piece) => {
    pieces.push(piece);
    return `⟦${pieces.length}⟧`;
  });
  return { text: shielded, pieces };
}

/** True when a shielded text has nothing to translate (only tokens, spaces, digits and punctuation). */
export function nothingToTranslate(shielded: ShieldedText): boolean {
  return !/[\p{L}]/u.test(shielded.text.replace(TOKEN, ''));
}

export type Unshielded = { ok: true; text: string } | { ok: false; problem: string };

/** The reply with tokens turned back into markup, or what is wrong with its tokens. */
export function unshield(reply: string, shielded: ShieldedText): Unshielded {
  const seen = new Map<number, number>();
  for (const match of reply.matchAll(TOKEN)) {
    const number = Number(match[1]);
    seen.set(number, (seen.get(number) ?? 0) + 1);
  }
  const lost = shielded.pieces.map((_, index) => index + 1).filter((number) => !seen.has(number));
  if (lost.length > 0)
    return {
      ok: false,
      problem: `markup lost: ${lost.map((number) => JSON.stringify(shielded.pieces[number - 1])).join(', ')}`,
    };
  const unknown = [...seen.keys()].filter((number) => number < 1 || number > shielded.pieces.length);
  if (unknown.length > 0)
    return { ok: false, problem: `markup added: ${unknown.map((number) => `⟦${number}⟧`).join(', ')}` };
  const doubled = [...seen].filter(([, count]) => count > 1).map(([number]) => number);
  if (doubled.length > 0)
    return {
      ok: false,
      problem: `markup repeated: ${doubled.map((number) => JSON.stringify(shielded.pieces[number - 1])).join(', ')}`,
    };
  if (/[⟦⟧]/.test(reply.replace(TOKEN, ''))) return { ok: false, problem: 'markup mangled (a broken ⟦n⟧ token)' };
  return { ok: true, text: reply.replace(TOKEN, (_, number: string) => shielded.pieces[Number(number) - 1]!) };
}
