// A fetch that records what the client sent (time, URL, headers) before passing it on.
export interface SentRequest {
  at: number;
  url: string;
  headers: Record<string, string>;
  model?: string | undefined;
  key?: string | undefined;
}

export function recordingFetch(): { fetch: typeof fetch; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    sent.push({
      at: Date.now(),
      url,
      headers,
      model: /models\/([^:/?]+)/.exec(url)?.[1],
      key: headers['x-goog-api-key'],
    });
    return fetch(input, init);
  };
  return { fetch: wrapped, sent };
}
