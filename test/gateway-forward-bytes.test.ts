// Do no harm for the bytes of a request: a model call the gateway does not change reaches Gemini as
// the client wrote it. A re-serialisation of the parsed body would round an integer beyond 2^53 and
// rewrite the spacing; the client's own text keeps all of it, unknown fields included.
import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/stack.js';
import { startStandInUpstream, type StandInUpstream } from './helpers/stand-in-upstream.js';

const KEY = 'key-forward-bytes-0001';
let upstream: StandInUpstream;
const stack = useStack({
  upstream: async () => (upstream = await startStandInUpstream()),
  gateway: { keys: [{ key: KEY, project: 'alpha' }], maxAttempts: 1 },
});

// A field no wire type knows, a number JSON.parse cannot hold exactly, unusual spacing and key order.
const BODY =
  '{ "generationConfig": {"seed": 9007199254740993, "temperature": 0.10},\n' +
  '  "contents": [{"role":"user","parts":[{"text":"héllo"}]}], "futureField": {"b": 1, "a": [1e2]} }';

async function post(path: string, body: string): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-token' },
    body,
  });
}

function bodiesSentTo(method: string): string[] {
  return upstream.requests.filter((request) => request.path.endsWith(`:${method}`)).map((request) => request.body);
}

describe('the gateway forwards an unchanged request byte for byte', () => {
  it('generateContent: the upstream receives exactly the bytes the client sent', async () => {
    const before = bodiesSentTo('generateContent').length;
    const answer = await post('/v1beta/models/gemini-2.5-flash:generateContent', BODY);
    await answer.text();
    const sent = bodiesSentTo('generateContent').slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toBe(BODY);
    // What a re-serialisation would have sent instead: the seed rounded, the spacing gone.
    expect(JSON.stringify(JSON.parse(BODY))).not.toBe(BODY);
    expect(JSON.stringify(JSON.parse(BODY))).toContain('9007199254740992');
  });

  it('streamGenerateContent (alt=sse): the upstream receives exactly the bytes the client sent', async () => {
    const before = bodiesSentTo('streamGenerateContent').length;
    const answer = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', BODY);
    await answer.text();
    const sent = bodiesSentTo('streamGenerateContent').slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toBe(BODY);
  });

  it('a request whose field names the gateway normalises is sent as the normalised JSON, not as sent', async () => {
    const snake =
      '{"generation_config": {"temperature": 0.5}, "contents": [{"role": "user", "parts": [{"text": "hi"}]}]}';
    const before = bodiesSentTo('generateContent').length;
    const answer = await post('/v1beta/models/gemini-2.5-flash:generateContent', snake);
    await answer.text();
    const sent = bodiesSentTo('generateContent').slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(JSON.parse(sent[0]!)).toEqual({
      generationConfig: { temperature: 0.5 },
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
  });
});

const emulated = useStack({});

describe("the gateway hands on Gemini's own answer text", () => {
  it('generateContent: the answer is the upstream text as sent (the emulator indents like Gemini), not a re-serialisation', async () => {
    const answer = await fetch(`${emulated.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-token' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }),
    });
    expect(answer.status).toBe(200);
    const text = await answer.text();
    const parsed = JSON.parse(text) as { candidates?: unknown[] };
    expect(parsed.candidates?.length).toBeGreaterThan(0);
    expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
  });
});
