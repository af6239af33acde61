// API keys are secrets: nothing we print or store shows more than their last 4 characters.

const GOOGLE_KEY = /AIza[0-9A-Za-z_-]{30,}/g;
const KEY_QUERY = /([?&](?:key|api_key|apiKey)=)([^&\s"'#]+)/g;
const KEY_HEADER = /((?:x-goog-api-key|authorization)["']?\s*[:=]\s*["']?(?:Bearer\s+)?)([^\s"',}]+)/gi;

/** "…abcd": the last 4 characters of a key, or "…" for keys too short to show any. */
export function keyHint(key: string): string {
  return key.length >= 12 ? `…${key.slice(-4)}` : '…';
}

/** Replaces anything that looks like an API key in a text with its hint. */
export function redactSecrets(text: string, knownKeys: readonly string[] = []): string {
  let out = text;
  for (const key of knownKeys) {
    if (key.length >= 4) out = out.split(key).join(keyHint(key));
  }
  return out
    .replace(GOOGLE_KEY, (key) => keyHint(key))
    .replace(KEY_QUERY, (_, prefix: string, key: string) => `${prefix}${keyHint(key)}`)
    .replace(KEY_HEADER, (_, prefix: string, key: string) => `${prefix}${keyHint(key)}`);
}
