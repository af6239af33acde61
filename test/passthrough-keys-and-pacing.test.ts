// The pass-through with the keys and limits users configure: a key given as a plain string (no
// project named) serves it, although the project the key pool makes up for such a key
// ("key…abcd#1") carries an ellipsis, which must reach x-gemwarden-project percent-encoded instead
// of failing the answer with a 500; and embedding calls are paced by the tokens of their texts.
import { GoogleGenAI } from '@google/genai';
import { expect, it } from 'vitest';
import { startStack } from './helpers/stack.js';

it('uploads a file and embeds through a gateway whose key has no project', async () => {
  const { gateway } = await startStack({ gateway: { keys: ['plain-key-00000001'] } });
  const start = await fetch(`${gateway.url}/upload/v1beta/files`, {
    method: 'POST',
    headers: {
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': '11',
      'x-goog-upload-header-content-type': 'text/plain',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ file: { display_name: 'plain' } }),
  });
  expect(start.status).toBe(200);
  expect(start.headers.get('x-gemwarden-project')).toBe('key%E2%80%A60001#1');
  expect(start.headers.get('x-goog-upload-url')).toMatch(new RegExp(`^${gateway.url}/upload/`));

  const sdk = new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: gateway.url } });
  const embedded = await sdk.models.embedContent({ model: 'text-embedding-004', contents: ['a', 'b'] });
  expect(embedded.embeddings).toHaveLength(2);
});

it('paces batchEmbedContents by the tokens of its texts, not by the bytes of the JSON around them', async () => {
  const { gateway } = await startStack({
    gateway: {
      keys: [{ key: 'paced-key-00000001', project: 'p1' }],
      limits: { 'text-embedding-004': { rpm: 1000, tpm: 1_000_000 } },
    },
  });
  // 50 texts of 12 ASCII characters: 3 tokens each by the pacer's estimate (Google's 4 characters a token),
  // 150 in all; the body around them is more than 4,000 bytes.
  const requests = Array.from({ length: 50 }, (_, index) => ({
    model: 'models/text-embedding-004',
    content: { parts: [{ text: `text ${String(index).padStart(7, '0')}` }] },
    taskType: 'RETRIEVAL_DOCUMENT',
  }));
  const body = JSON.stringify({ requests });
  expect(body.length).toBeGreaterThan(4000);
  const answer = await fetch(`${gateway.url}/v1beta/models/text-embedding-004:batchEmbedContents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(answer.status).toBe(200);
  const pair = (await gateway.client.snapshot()).pacing.find((entry) => entry.model === 'text-embedding-004');
  expect(pair?.minute.requests).toBe(1);
  expect(pair?.minute.tokens).toBe(150);
});

it('parks the pairs whose day the pacer finds spent in the key pool, where the status page reads them', async () => {
  const { gateway } = await startStack({
    gateway: {
      keys: [
        { key: 'day-key-000000001', project: 'p1' },
        { key: 'day-key-000000002', project: 'p2' },
      ],
      limits: { 'text-embedding-004': { rpd: 1 } },
    },
  });
  const parked: Array<{ project: string; model: string; reason: string }> = [];
  gateway.client.on('key-parked', ({ project, model, reason }) => parked.push({ project, model, reason }));
  const embed = () =>
    fetch(`${gateway.url}/v1beta/models/text-embedding-004:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'hello' }] } }),
    });
  // One request of the day per project: the first two calls use both projects' one request.
  const projects: Array<string | null> = [];
  for (let index = 0; index < 2; index++) {
    const answer = await embed();
    expect(answer.status).toBe(200);
    projects.push(answer.headers.get('x-gemwarden-project'));
  }
  expect(projects.sort()).toEqual(['p1', 'p2']);
  expect(parked).toEqual([]);

  // The third finds both days spent: nothing is sent, and both pairs are parked in the key pool.
  const third = await embed();
  expect(third.status).toBeGreaterThanOrEqual(400);
  const reason = 'daily request limit reached (paced)';
  expect(parked.sort((a, b) => a.project.localeCompare(b.project))).toEqual([
    { project: 'p1', model: 'text-embedding-004', reason },
    { project: 'p2', model: 'text-embedding-004', reason },
  ]);
  expect(gateway.client.keys.isParked('p1', 'text-embedding-004', Date.now())).toBe(true);
  const status = (await (await fetch(`${gateway.url}/status.json`)).json()) as {
    pairs: Array<{ project: string; model: string; parkedUntil: unknown; parkedReason: unknown }>;
  };
  const rows = status.pairs.filter((pair) => pair.model === 'text-embedding-004');
  expect(rows.map(({ project, parkedReason }) => ({ project, parkedReason }))).toEqual([
    { project: 'p1', parkedReason: reason },
    { project: 'p2', parkedReason: reason },
  ]);
  for (const row of rows) expect(row.parkedUntil).toEqual(expect.any(Number));
});
