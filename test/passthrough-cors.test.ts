// CORS for browser apps: off by default; with configured origins, preflights are answered and
// answers carry Access-Control-Allow-Origin for those origins only.
import { describe, expect, it } from 'vitest';
import type { GatewayConfig, GatewayHandle } from '../src/gateway/index.js';
import { startStack } from './helpers/stack.js';

async function start(extra: Partial<GatewayConfig>): Promise<GatewayHandle> {
  return (await startStack({ gateway: { keys: ['key-cors-0001'], ...extra } })).gateway;
}

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-goog-api-key',
    },
  });

describe('gateway CORS', () => {
  it('answers preflights and marks answers for configured origins only', async () => {
    const { url } = await start({ cors: { origins: ['https://app.example.com'] } });
    const allowed = await preflight(url, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type, x-goog-api-key');
    expect((await preflight(url, 'https://evil.example.com')).status).toBe(403);
    const answer = await fetch(`${url}/v1beta/files`, { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-goog-upload-url');
    const other = await fetch(`${url}/v1beta/files`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is off by default', async () => {
    const { url } = await start({});
    const answer = await fetch(`${url}/v1beta/files`, { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
