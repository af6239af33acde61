// Whether streamed JSON-mode text is still a valid beginning of one JSON value, checked
// incrementally across a splice. Parsing JSON is not what gemwarden exists for: the well-kept
// @streamparser/json tokenizer does it, and this module only reads its verdicts.
import { JSONParser } from '@streamparser/json';

/** 'prefix': valid so far, not finished; 'complete': one whole value; 'invalid': cannot become JSON. */
export type JsonPrefixState = 'prefix' | 'complete' | 'invalid';

/** Incremental check of one JSON value written in pieces (as a JSON-mode answer streams). */
export class JsonPrefixCheck {
  private readonly parser = new JSONParser({ paths: ['$'], keepStack: false });
  private state: JsonPrefixState = 'prefix';

  constructor() {
    this.parser.onValue = () => {
      this.state = 'complete';
    };
    this.parser.onError = () => {
      this.state = 'invalid';
    };
  }

  /** A check that has already been fed `text` (the part of an answer the client holds). */
  static after(text: string): JsonPrefixCheck {
    const check = new JsonPrefixCheck();
    check.push(text);
    return check;
  }

  /** Feeds more text; returns the state after it. Once invalid, it stays invalid. */
  push(text: string): JsonPrefixState {
    if (this.state === 'invalid' || text.length === 0) return this.state;
    try {
      this.parser.write(text);
    } catch {
      this.state = 'invalid';
    }
    return this.state;
  }

  get current(): JsonPrefixState {
    return this.state;
  }
}
