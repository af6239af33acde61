// Reading and writing the translator's file in its own encoding. Game and visual-novel scripts are
// often Shift-JIS (CP932), EUC-JP, GBK/GB18030, Big5, EUC-KR or UTF-16 with a BOM; subtitles are
// UTF-8 with or without a BOM. We detect the encoding (BOM, then valid UTF-8, then the chardet
// detector), decode with iconv-lite, and write the output back in the same encoding with the same
// BOM. Line endings are never touched: the formats keep every byte that is not translated text.
import chardet from 'chardet';
import iconv from 'iconv-lite';

/** How a file's bytes map to text. `bom` holds the exact BOM bytes found (empty when none). */
export interface TextEncoding {
  /** An iconv-lite encoding name, lower case: utf-8, utf-16le, utf-16be, cp932, euc-jp, gb18030, big5, euc-kr, … */
  name: string;
  bom: Buffer;
  /** How the name was decided: a BOM, valid UTF-8, the detector, or the user's --encoding. */
  detectedBy: 'bom' | 'utf-8' | 'detector' | 'option';
}

export interface DecodedFile {
  text: string;
  encoding: TextEncoding;
}

/** The input cannot be read as text: binary, an unknown --encoding, or bytes that do not fit it. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

/** A translated character that the output encoding cannot hold. Line is 1-based in the output. */
export class UnencodableError extends EncodingError {
  constructor(
    readonly line: number,
    readonly character: string,
    readonly encodingName: string,
  ) {
    const code = `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    super(
      `line ${line}: the translation has "${character}" (${code}), which ${encodingName} cannot hold; nothing was written. Add --out-encoding utf-8 to write the output as UTF-8 instead.`,
    );
  }
}

// UTF-32 LE's BOM begins with UTF-16 LE's, so it is tried first (else its text reads as NULs).
const BOMS: Array<[string, Buffer]> = [
  ['utf-8', Buffer.from([0xef, 0xbb, 0xbf])],
  ['utf-32le', Buffer.from([0xff, 0xfe, 0x00, 0x00])],
  ['utf-32be', Buffer.from([0x00, 0x00, 0xfe, 0xff])],
  ['utf-16le', Buffer.from([0xff, 0xfe])],
  ['utf-16be', Buffer.from([0xfe, 0xff])],
];

/** chardet's names → the iconv-lite codec that reads the same bytes (CP932 and GB18030 are supersets). */
const DETECTED: Record<string, string> = {
  shift_jis: 'cp932',
  'euc-jp': 'euc-jp',
  gb18030: 'gb18030',
  big5: 'big5',
  'euc-kr': 'euc-kr',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  'iso-2022-jp': 'iso-2022-jp',
  'windows-1252': 'windows-1252',
  'iso-8859-1': 'windows-1252',
};

/** Names people type for --encoding, mapped to the codec we use. */
const ALIASES: Record<string, string> = {
  sjis: 'cp932',
  'shift-jis': 'cp932',
  shift_jis: 'cp932',
  ms932: 'cp932',
  'windows-31j': 'cp932',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  cp936: 'gb18030',
  utf8: 'utf-8',
  'utf-16': 'utf-16le',
  utf16: 'utf-16le',
  uhc: 'euc-kr',
  cp949: 'euc-kr',
};

/** The codec name for a user's --encoding / --out-encoding value, or an EncodingError listing examples. */
export function encodingFromOption(value: string, option = '--encoding'): string {
  const lower = value.trim().toLowerCase();
  const name = ALIASES[lower] ?? lower;
  if (!iconv.encodingExists(name))
    throw new EncodingError(
      `unknown ${option} "${value}" (for example utf-8, utf-16le, utf-16be, shift_jis, euc-jp, gbk, gb18030, big5, euc-kr)`,
    );
  return name;
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** UTF-16 without a BOM: in text of mostly ASCII, every other byte is zero. */
function utf16WithoutBom(bytes: Buffer): string | undefined {
  const sample = bytes.subarray(0, Math.min(bytes.length, 4096) & ~1);
  if (sample.length < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let index = 0; index < sample.length; index += 2) {
    if (sample[index] === 0) evenZeros++;
    if (sample[index + 1] === 0) oddZeros++;
  }
  const pairs = sample.length / 2;
  if (oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/** Bytes that no text file has: NUL, or many C0 controls other than tab, CR, LF, FF, ESC. */
function looksBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, Math.min(bytes.length, 8192));
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) controls++;
  }
  return controls > sample.length * 0.01 + 2;
}

/**
 * Decodes a file's bytes. `override` (an --encoding value) skips detection but a BOM is still
 * recognised. Throws EncodingError for binary input, an undetectable encoding, or bytes that would
 * not come back the same when written again (so no untranslated byte can change).
 */
export function decodeFile(bytes: Buffer, override?: string): DecodedFile {
  let name: string | undefined;
  let detectedBy: TextEncoding['detectedBy'] = 'option';
  let bom: Buffer = Buffer.alloc(0);
  for (const [bomName, mark] of BOMS) {
    if (bytes.subarray(0, mark.length).equals(mark)) {
      bom = Buffer.from(mark);
      name = bomName;
      detectedBy = 'bom';
      break;
    }
  }
  if (override !== undefined) {
    const chosen = encodingFromOption(override);
    if (name !== undefined && chosen !== name && !(chosen === 'utf-16le' && name === 'utf-16be')) bom = Buffer.alloc(0); // a BOM of another encoding is data for the chosen one
    name = name !== undefined && chosen.startsWith('utf-16') && name.startsWith('utf-16') ? name : chosen;
    detectedBy = 'option';
  }
  const body = bytes.subarray(bom.length);
  if (name === undefined) {
    const utf16 = utf16WithoutBom(body);
    if (utf16) {
      name = utf16;
      detectedBy = 'detector';
    } else if (looksBinary(body)) {
      throw new EncodingError(
        'this looks like a binary file (it has NUL or control bytes), not text: nothing to translate',
      );
    } else if (isValidUtf8(body)) {
      name = 'utf-8';
      detectedBy = 'utf-8';
    } else {
      const guess = chardet.detect(body)?.toLowerCase();
      name = guess ? DETECTED[guess] : undefined;
      if (!name)
        throw new EncodingError(
          `cannot tell the file's encoding${guess ? ` (the detector says ${guess}, which is not supported)` : ''}: give it with --encoding (for example shift_jis, gbk, big5, euc-kr, utf-16le)`,
        );
      detectedBy = 'detector';
    }
  } else if (!/^utf-(?:16|32)/.test(name) && looksBinary(body)) {
    throw new EncodingError(
      'this looks like a binary file (it has NUL or control bytes), not text: nothing to translate',
    );
  }
  const text = iconv.decode(body, name, { stripBOM: false });
  // NUL is in no script or subtitle: text full of it was read in the wrong encoding (or is binary),
  // and no format would find a line in it, so the file would be "done" untranslated.
  const nul = text.indexOf('\u0000');
  if (nul >= 0)
    throw new EncodingError(
      `read as ${name}${detectedBy === 'option' ? '' : ` (detected by ${detectedBy})`} the text has a NUL character at line ${lineOf(text, nul)}: give the file's real encoding with --encoding (for example utf-16le, utf-32le)`,
    );
  // Whatever is not translated is written back as it was read: check that it would be, byte for byte.
  const again = iconv.encode(text, name, { addBOM: false });
  if (!again.equals(body)) {
    let at = 0;
    while (at < body.length && body[at] === again[at]) at++;
    throw new EncodingError(
      `the bytes at offset ${at + bom.length} are not valid ${name}${detectedBy === 'option' ? '' : ` (detected by ${detectedBy})`}: give the file's real encoding with --encoding`,
    );
  }
  return { text, encoding: { name, bom, detectedBy } };
}

/** 1-based line of a string offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) line++;
  return line;
}

/**
 * Encodes output text in `encoding`, with its BOM. Throws UnencodableError naming the first
 * character the encoding cannot hold (iconv-lite would silently write "?" for it).
 */
export function encodeFile(text: string, encoding: TextEncoding): Buffer {
  const bytes = iconv.encode(text, encoding.name, { addBOM: false });
  if (!encoding.name.startsWith('utf')) {
    const back = iconv.decode(bytes, encoding.name, { stripBOM: false });
    if (back !== text) {
      let at = 0;
      while (at < text.length && text[at] === back[at]) at++;
      const character = String.fromCodePoint(text.codePointAt(at)!);
      throw new UnencodableError(lineOf(text, at), character, encoding.name);
    }
  }
  return Buffer.concat([encoding.bom, bytes]);
}

/** The encoding to write UTF-8 with: a UTF-8 BOM only when the input had one. */
export function utf8Like(encoding: TextEncoding): TextEncoding {
  return {
    name: 'utf-8',
    bom: encoding.bom.length > 0 ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
    detectedBy: 'option',
  };
}

/** A short description for the report: "Shift-JIS (cp932), BOM". */
export function describeEncoding(encoding: TextEncoding): string {
  return `${encoding.name}${encoding.bom.length > 0 ? ' with BOM' : ''}`;
}
