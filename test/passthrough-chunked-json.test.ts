// A JSON body sent without Content-Length (chunked) is read to decide where the call goes; one
// larger than the pass-through keeps for replay must still reach the upstream whole, as it would
// sent straight to Gemini, never dropped.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/stack.js';

const stack = useStack();

/** POSTs `body` in 1 MB pieces with no Content-Length (Transfer-Encoding: chunked). */
function postChunked(base: string, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      new URL(path, base),
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-token' } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        answer.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    for (let offset = 0; offset < body.length; offset += 1 << 20)
      outgoing.write(body.slice(offset, offset + (1 << 20)));
    outgoing.end();
  });
}

describe('pass-through: a large chunked JSON body', () => {
  it('reaches the upstream whole when it is larger than the replay buffer', { timeout: 60_000 }, async () => {
    const text = 'word '.repeat((17 * 1024 * 1024) / 5); // 17 MB: over the 16 MB kept for replay
    const body = JSON.stringify({
      requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text }] } }],
    });
    const path = '/v1beta/models/text-embedding-004:batchEmbedContents';
    const direct = await postChunked(stack.upstreamUrl, path, body);
    const through = await postChunked(stack.url, path, body);
    // Whatever the upstream says to the whole body (an answer or its own refusal), the gateway's
    // client hears the same, not the upstream's words for an empty or missing body.
    expect(through.status).toBe(direct.status);
    const message = (raw: string): unknown => (JSON.parse(raw) as { error?: { message?: string } }).error?.message;
    expect(message(through.text)).toBe(message(direct.text));
  });
});
