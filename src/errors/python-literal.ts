// Reads Python literal reprs as Python SDKs print error bodies:
// {'error': {'code': 429, 'message': "It's…", 'details': [...]}} with True/False/None.
// Returns undefined for anything that is not a complete literal.

export function parsePythonLiteral(text: string): unknown {
  const parser = new LiteralParser(text);
  try {
    const value = parser.value();
    parser.skipSpace();
    return parser.atEnd() ? value : undefined;
  } catch {
    return undefined;
  }
}

class LiteralParser {
  private index = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.index >= this.text.length;
  }

  skipSpace(): void {
    while (this.index < this.text.length && /\s/.test(this.text[this.index]!)) this.index++;
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.index] !== char) throw new Error(`expected ${char}`);
    this.index++;
  }

  value(): unknown {
    this.skipSpace();
    const char = this.text[this.index];
    if (char === '{') return this.dict();
    if (char === '[' || char === '(') return this.list(char === '[' ? ']' : ')');
    if (char === "'" || char === '"') return this.string();
    const rest = this.text.slice(this.index);
    const word = /^(True|False|None|null|true|false)/.exec(rest);
    if (word) {
      this.index += word[0].length;
      return word[0] === 'True' || word[0] === 'true'
        ? true
        : word[0] === 'False' || word[0] === 'false'
          ? false
          : null;
    }
    const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (number) {
      this.index += number[0].length;
      return Number(number[0]);
    }
    throw new Error('unexpected token');
  }

  private dict(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text[this.index] === '}') {
      this.index++;
      return out;
    }
    for (;;) {
      const key = this.value();
      this.expect(':');
      out[String(key)] = this.value();
      this.skipSpace();
      const next = this.text[this.index++];
      if (next === '}') return out;
      if (next !== ',') throw new Error('expected , or }');
      this.skipSpace();
      if (this.text[this.index] === '}') {
        this.index++;
        return out;
      }
    }
  }

  private list(close: string): unknown[] {
    this.index++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text[this.index] === close) {
      this.index++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const next = this.text[this.index++];
      if (next === close) return out;
      if (next !== ',') throw new Error('expected , or close');
      this.skipSpace();
      if (this.text[this.index] === close) {
        this.index++;
        return out;
      }
    }
  }

  private string(): string {
    const quote = this.text[this.index++]!;
    let out = '';
    while (this.index < this.text.length) {
      const char = this.text[this.index++]!;
      if (char === quote) return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escape = this.text[this.index++];
      switch (escape) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'x':
          out += String.fromCharCode(Number.parseInt(this.text.slice(this.index, this.index + 2), 16));
          this.index += 2;
          break;
        case 'u':
          out += String.fromCharCode(Number.parseInt(this.text.slice(this.index, this.index + 4), 16));
          this.index += 4;
          break;
        case undefined:
          throw new Error('unterminated escape');
        default:
          out += escape;
      }
    }
    throw new Error('unterminated string');
  }
}
