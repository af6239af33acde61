// A gateway configured the most common way (one key as a plain string, no project named) serves the
// pass-through: the project the key pool makes up for such a key ("key…abcd#1") carries an ellipsis,
// which must reach the x-gemwarden-project header percent-encoded, not fail the answer with a 500.
import { GoogleGenAI } from '@google/genai';
import { afterEach, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.close();
  await emulator?.close();
});

it('uploads a file and embeds through a gateway whose key has no project', async () => {
  emulator = await startEmulator({});
  gateway = await startGateway(gatewayConfigSchema.parse({ upstream: emulator.url, keys: ['plain-key-00000001'] }), {
    port: 0,
    logger: false,
  });
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
