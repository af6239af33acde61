// The emulator's resources in process: embeddings, files, caches, batches, Google's OpenAI layer.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/time/index.js';
import { inProcessEmulator, type InProcessEmulator } from './helpers/emulator-with-resources.js';

const ORIGIN = 'http://emulator.test';
// Answers are read loosely: each test asserts the fields it cares about.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const KEYS = [
  { key: 'key-alpha-0001', project: 'alpha' },
  { key: 'key-beta-00002', project: 'beta' },
];
const A = { 'x-goog-api-key': 'key-alpha-0001' };
const B = { 'x-goog-api-key': 'key-beta-00002' };
const DAY = 86_400_000;

let emulator: InProcessEmulator | undefined;
let clock: FakeClock;
async function start(): Promise<InProcessEmulator> {
  clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  emulator = await inProcessEmulator({ keys: KEYS }, clock);
  return emulator;
}
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; json: Loose; text: string; headers: Headers }> {
  const body =
    init.body === undefined || typeof init.body === 'string' || init.body instanceof Uint8Array
      ? init.body
      : JSON.stringify(init.body);
  const response = await emulator!.fetch(
    new Request(ORIGIN + path, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...init.headers },
      ...(body !== undefined ? { body: body as string } : {}),
    }),
  );
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

const text = (value: string) => ({ parts: [{ text: value }] });

async function upload(headers: Record<string, string>, bytes: string, mimeType = 'text/plain'): Promise<Loose> {
  const start = await call('/upload/v1beta/files', {
    headers: {
      ...headers,
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': String(Buffer.byteLength(bytes)),
      'x-goog-upload-header-content-type': mimeType,
    },
    body: { file: { displayName: 'notes' } },
  });
  expect(start.status).toBe(200);
  const uploadUrl = new URL(start.headers.get('x-goog-upload-url')!);
  expect(start.headers.get('x-goog-upload-status')).toBe('active');
  const half = Math.floor(bytes.length / 2);
  const first = await call(uploadUrl.pathname + uploadUrl.search, {
    headers: { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' },
    body: bytes.slice(0, half),
  });
  expect(first.headers.get('x-goog-upload-status')).toBe('active');
  const done = await call(uploadUrl.pathname + uploadUrl.search, {
    headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': String(half) },
    body: bytes.slice(half),
  });
  expect(done.status).toBe(200);
  expect(done.headers.get('x-goog-upload-status')).toBe('final');
  return done.json.file;
}

describe('emulator resources: embeddings', () => {
  it('embeds deterministically, per model size, truncating to outputDimensionality', async () => {
    await start();
    const one = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      headers: A,
      body: { content: text('hello') },
    });
    expect(one.status).toBe(200);
    const values: number[] = one.json.embedding.values;
    expect(values).toHaveLength(3072);
    expect(Math.hypot(...values)).toBeCloseTo(1, 3);
    const again = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      headers: B,
      body: { content: text('hello') },
    });
    expect(again.json.embedding.values).toEqual(values);
    const small = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      headers: A,
      body: { content: text('hello'), outputDimensionality: 768 },
    });
    expect(small.json.embedding.values).toEqual(values.slice(0, 768));
    const query = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      headers: A,
      body: { content: text('hello'), taskType: 'RETRIEVAL_QUERY' },
    });
    expect(query.json.embedding.values).not.toEqual(values);
    const many = await call('/v1beta/models/text-embedding-004:batchEmbedContents', {
      headers: A,
      body: { requests: ['a', 'b', 'a'].map((item) => ({ model: 'models/text-embedding-004', content: text(item) })) },
    });
    expect(many.json.embeddings).toHaveLength(3);
    expect(many.json.embeddings[0].values).toHaveLength(768);
    expect(many.json.embeddings[0].values).toEqual(many.json.embeddings[2].values);
  });

  it('refuses what Google refuses', async () => {
    await start();
    const tooMany = await call('/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      headers: A,
      body: { requests: Array.from({ length: 101 }, () => ({ content: text('x') })) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toContain('at most 100 requests can be in one batch');
    const generative = await call('/v1beta/models/gemini-2.5-flash:embedContent', {
      headers: A,
      body: { content: text('x') },
    });
    expect(generative.status).toBe(404);
    const task = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      headers: A,
      body: { content: text('x'), taskType: 'NOPE' },
    });
    expect(task.status).toBe(400);
    const noKey = await call('/v1beta/models/gemini-embedding-001:embedContent', { body: { content: text('x') } });
    expect(noKey.status).toBe(403);
  });
});

describe('emulator resources: files', () => {
  it('uploads resumably, and only the owning project sees the file until it expires', async () => {
    await start();
    const file = await upload(A, 'The quick brown fox jumps over the lazy dog.');
    expect(file.name).toMatch(/^files\/[a-z0-9]+$/);
    expect(file.sizeBytes).toBe('44');
    expect(file.mimeType).toBe('text/plain');
    expect(file.state).toBe('ACTIVE');
    const id = file.name.slice('files/'.length);
    expect((await call(`/v1beta/${file.name}`, { headers: A })).json.name).toBe(file.name);
    const foreign = await call(`/v1beta/${file.name}`, { headers: B });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error).toEqual({
      code: 403,
      message: `You do not have permission to access the File ${id} or it may not exist.`,
      status: 'PERMISSION_DENIED',
    });
    expect((await call('/v1beta/files', { headers: A })).json.files).toHaveLength(1);
    expect((await call('/v1beta/files', { headers: B })).json.files).toBeUndefined();
    const download = await call(`/v1beta/${file.name}:download?alt=media`, { headers: A });
    expect(download.text).toBe('The quick brown fox jumps over the lazy dog.');

    const cited = {
      contents: [{ parts: [{ text: 'summarise' }, { fileData: { fileUri: file.uri, mimeType: 'text/plain' } }] }],
    };
    expect((await call('/v1beta/models/gemini-2.5-flash:generateContent', { headers: A, body: cited })).status).toBe(
      200,
    );
    const citedByOther = await call('/v1beta/models/gemini-2.5-flash:generateContent', { headers: B, body: cited });
    expect(citedByOther.status).toBe(403);
    expect(citedByOther.json.error.message).toContain(`File ${id} or it may not exist`);

    await clock.advance(2 * DAY);
    expect((await call(`/v1beta/${file.name}`, { headers: A })).status).toBe(403);
    expect((await emulator!.resourceStats()).byResource[file.name]).toEqual({ alpha: 5, beta: 2 });
  });

  it('deletes, and takes multipart uploads', async () => {
    await start();
    const boundary = 'gemwarden-boundary';
    const body = [
      `--${boundary}\r\nContent-Type: application/json\r\n\r\n{"file":{"displayName":"m"}}\r\n`,
      `--${boundary}\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const made = await call('/upload/v1beta/files', {
      headers: {
        ...A,
        'x-goog-upload-protocol': 'multipart',
        'content-type': `multipart/related; boundary=${boundary}`,
      },
      body,
    });
    expect(made.status).toBe(200);
    expect(made.json.file).toMatchObject({ displayName: 'm', mimeType: 'image/png', sizeBytes: '7' });
    expect((await call(`/v1beta/${made.json.file.name}`, { method: 'DELETE', headers: A })).json).toEqual({});
    expect((await call(`/v1beta/${made.json.file.name}`, { headers: A })).status).toBe(403);
  });
});

describe('emulator resources: cachedContents', () => {
  const big = 'lorem ipsum dolor sit amet '.repeat(200);

  it('refuses a small cache with Google words, and serves a big one to its project only', async () => {
    await start();
    const small = await call('/v1beta/cachedContents', {
      headers: A,
      body: { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', ...text('tiny') }] },
    });
    expect(small.status).toBe(400);
    expect(small.json.error.message).toBe(
      'Cached content is too small. total_token_count=1, min_total_token_count=1024',
    );

    const made = await call('/v1beta/cachedContents', {
      headers: A,
      body: { model: 'models/gemini-2.5-flash', contents: [{ role: 'user', ...text(big) }], ttl: '300s' },
    });
    expect(made.status).toBe(200);
    expect(made.json.name).toMatch(/^cachedContents\//);
    expect(made.json.usageMetadata.totalTokenCount).toBeGreaterThanOrEqual(1024);
    const answer = await call('/v1beta/models/gemini-2.5-flash:generateContent', {
      headers: A,
      body: { contents: [{ role: 'user', ...text('what is it about?') }], cachedContent: made.json.name },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.usageMetadata.cachedContentTokenCount).toBe(made.json.usageMetadata.totalTokenCount);
    const foreign = await call('/v1beta/models/gemini-2.5-flash:generateContent', {
      headers: B,
      body: { contents: [{ role: 'user', ...text('x') }], cachedContent: made.json.name },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error.message).toBe('CachedContent not found (or permission denied)');
    expect((await call('/v1beta/cachedContents', { headers: A })).json.cachedContents).toHaveLength(1);
    const patched = await call(`/v1beta/${made.json.name}?updateMask=ttl`, {
      method: 'PATCH',
      headers: A,
      body: { ttl: '7200s' },
    });
    expect(Date.parse(patched.json.expireTime) - clock.now()).toBe(7_200_000);
    expect((await call(`/v1beta/${made.json.name}`, { method: 'DELETE', headers: A })).status).toBe(200);
    expect((await call(`/v1beta/${made.json.name}`, { headers: A })).status).toBe(403);
  });
});

describe('emulator resources: batches', () => {
  it('runs an inline batch on the emulated clock with the same answers as direct calls', async () => {
    await start();
    const requests = ['one', 'two'].map((word) => ({ contents: [{ role: 'user', ...text(word) }] }));
    const created = await call('/v1beta/models/gemini-2.5-flash:batchGenerateContent', {
      headers: A,
      body: {
        batch: {
          displayName: 'b',
          inputConfig: {
            requests: { requests: requests.map((request, index) => ({ request, metadata: { key: `r${index}` } })) },
          },
        },
      },
    });
    expect(created.status).toBe(200);
    expect(created.json.metadata.state).toBe('BATCH_STATE_PENDING');
    expect((await call(`/v1beta/${created.json.name}`, { headers: B })).status).toBe(404);
    await clock.advance(10_000);
    const done = await call(`/v1beta/${created.json.name}`, { headers: A });
    expect(done.json.done).toBe(true);
    expect(done.json.metadata.state).toBe('BATCH_STATE_SUCCEEDED');
    const results = done.json.response.inlinedResponses.inlinedResponses;
    const direct = await call('/v1beta/models/gemini-2.5-flash:generateContent', { headers: A, body: requests[1] });
    expect(results[1].metadata).toEqual({ key: 'r1' });
    expect(results[1].response.candidates[0].content).toEqual(direct.json.candidates[0].content);
    expect((await call('/v1beta/batches', { headers: A })).json.operations).toHaveLength(1);
  });
});

describe("emulator resources: Google's OpenAI layer", () => {
  it('answers chat, streamed chat, embeddings and models; errors as a one-element array', async () => {
    await start();
    const auth = { authorization: 'Bearer key-alpha-0001' };
    const chat = await call('/v1beta/openai/chat/completions', {
      headers: auth,
      body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(chat.status).toBe(200);
    const native = await call('/v1beta/models/gemini-2.5-flash:generateContent', {
      headers: A,
      body: { contents: [{ role: 'user', ...text('hello') }] },
    });
    expect(chat.json.choices[0].message.content).toBe(native.json.candidates[0].content.parts[0].text);
    const streamed = await call('/v1beta/openai/chat/completions', {
      headers: auth,
      body: { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hello' }], stream: true },
    });
    expect(streamed.text.trim().endsWith('data: [DONE]')).toBe(true);
    const embedded = await call('/v1beta/openai/embeddings', {
      headers: auth,
      body: { model: 'gemini-embedding-001', input: ['a', 'b'] },
    });
    expect(embedded.json.data).toHaveLength(2);
    const missing = await call('/v1beta/openai/chat/completions', {
      headers: auth,
      body: { model: 'gemini-9', messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(missing.status).toBe(404);
    expect(Array.isArray(missing.json)).toBe(true);
    expect(missing.json[0].error.status).toBe('NOT_FOUND');
    expect((await call('/v1beta/openai/models', { headers: auth })).json.object).toBe('list');
  });
});
