// The one error type of the OpenAI translation: a request Gemini cannot be asked, said before any
// upstream call. The route answers it as a 400 `invalid_request_error` naming `param`.

/** A chat or embeddings request that cannot be translated; `param` is the OpenAI field at fault. */
export class TranslationError extends Error {
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}
