// Do no harm (issue 15): a failure about the request (a cache, a tuned model, a file) or about one
// model for one project leaves every key in the pool; plain requests after it use every project.
import { describe, expect, it } from 'vitest';
import { hello, post, request } from './helpers/http.js';
import { startStack } from './helpers/stack.js';

const ALPHA = 'key-alpha-stay-0001';
const BETA = 'key-beta-stay-00002';
const KEYS = [
  { key: ALPHA, project: 'alpha' },
  { key: BETA, project: 'beta' },
];

interface StatusKeys {
  keys: Array<{ keyHint: string; project: string; disabled?: string; disabledModels: Record<string, string> }>;
}
interface ErrorBody {
  error: { code: number; message: string; status: string };
}

describe('request faults never take keys out', () => {
  it('a missing cache, a tuned model of another project and a model one project may not use leave every key in the pool', async () => {
    const { emulator, url: gw } = await startStack({
      emulator: { keys: KEYS, models: { 'gemini-2.5-pro': { projects: ['beta'] } } },
      gateway: { keys: KEYS },
    });
    const both = async (path: string, body: unknown) => ({
      direct: await post(emulator.url, path, body, { 'x-goog-api-key': ALPHA }),
      through: await post(gw, path, body),
    });

    const cache = await both('/v1beta/models/gemini-2.5-flash:generateContent', {
      ...hello,
      cachedContent: 'cachedContents/gone-0000000001',
    });
    expect(cache.direct.status).toBeGreaterThanOrEqual(400);
    expect(cache.through.status).toBe(cache.direct.status);
    expect((cache.through.json as ErrorBody).error.message).toBe((cache.direct.json as ErrorBody).error.message);

    const tuned = await both('/v1beta/tunedModels/someone-elses-model:generateContent', hello);
    expect(tuned.direct.status).toBe(403);
    expect(tuned.through.status).toBe(403);
    expect((tuned.through.json as ErrorBody).error.message).toMatch(/permission to access tuned model/);

    // Only beta may call pro: alpha's bare 403 takes alpha out for pro alone, and the call succeeds on beta.
    const pro = await post(gw, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
    expect(pro.status).toBe(200);
    expect(
      (await post(emulator.url, '/v1beta/models/gemini-2.5-pro:generateContent', hello, { 'x-goog-api-key': ALPHA }))
        .status,
    ).toBe(403);

    const before = emulator.stats().byProject;
    for (let i = 0; i < 4; i++)
      expect((await post(gw, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).status).toBe(200);
    const after = emulator.stats().byProject;
    expect((after.alpha ?? 0) - (before.alpha ?? 0)).toBeGreaterThan(0);
    expect((after.beta ?? 0) - (before.beta ?? 0)).toBeGreaterThan(0);

    const status = (await request(`${gw}/status.json`)).json as StatusKeys;
    for (const key of status.keys) expect(key.disabled, key.project).toBeUndefined();
    const alpha = status.keys.find((key) => key.project === 'alpha')!;
    expect(Object.keys(alpha.disabledModels).filter((model) => model !== 'gemini-2.5-pro')).toEqual([]);
    expect((await request(`${gw}/readyz`)).status).toBe(200);
  });
});
