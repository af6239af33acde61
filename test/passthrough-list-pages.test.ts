// files.list through a gateway with two projects: each project sees only its own files, and the
// gateway merges them into pages that honour the client's pageSize across projects, with an opaque
// page token, read by @google/genai's own pager against a real emulator.
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { gatewayConfigSchema, startGateway, type GatewayHandle } from '../src/gateway/index.js';

const A = { key: 'key-alpha-pages-001', project: 'alpha' };
const B = { key: 'key-beta-pages-0002', project: 'beta' };

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;
afterEach(async () => {
  await gateway?.close();
  await emulator?.close();
  gateway = emulator = undefined;
});

/** Uploads `count` small files straight to the emulator with `key`; resolves with their names. */
async function upload(key: string, count: number): Promise<string[]> {
  const direct = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: emulator!.url } });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = await direct.files.upload({ file: new Blob([`file ${i} of ${key}`], { type: 'text/plain' }) });
    names.push(file.name!);
  }
  return names;
}

describe('files.list merged across projects', () => {
  it('pages of at most pageSize across both projects, every file once, followed by the SDK pager', async () => {
    emulator = await startEmulator({ keys: [A, B] });
    const alpha = await upload(A.key, 7);
    const beta = await upload(B.key, 5);
    gateway = await startGateway(gatewayConfigSchema.parse({ upstream: emulator.url, keys: [A, B] }), {
      port: 0,
      logger: false,
    });
    const sdk = new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: gateway.url } });

    const pager = await sdk.files.list({ config: { pageSize: 5 } });
    const pages: string[][] = [pager.page.map((file) => file.name!)];
    while (pager.hasNextPage()) pages.push((await pager.nextPage()).map((file) => file.name!));
    expect(pages.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(pages.flat().sort()).toEqual([...alpha, ...beta].sort());

    // The pager's iterator walks the same listing; a page size of 1 takes one page per file.
    const one: string[] = [];
    for await (const file of await sdk.files.list({ config: { pageSize: 1 } })) one.push(file.name!);
    expect(one).toEqual(pages.flat());

    // No pageSize: files.list's documented default of 10 per page, across projects too.
    const plain = await sdk.files.list();
    expect(plain.page).toHaveLength(10);
    expect(plain.hasNextPage()).toBe(true);
    expect(await plain.nextPage()).toHaveLength(2);
    expect(plain.hasNextPage()).toBe(false);

    // The token is the gateway's and opaque; one the gateway did not make goes upstream untouched.
    const raw = await fetch(`${gateway.url}/v1beta/files?pageSize=2`);
    const body = (await raw.json()) as { files: unknown[]; nextPageToken: string };
    expect(body.files).toHaveLength(2);
    expect(body.nextPageToken).not.toContain(A.key);
    const foreign = await fetch(
      `${gateway.url}/v1beta/files?pageSize=2&pageToken=${encodeURIComponent('bm90LW91cnM')}`,
    );
    const direct = await fetch(`${emulator.url}/v1beta/files?pageSize=2&pageToken=bm90LW91cnM`, {
      headers: { 'x-goog-api-key': A.key },
    });
    expect(foreign.status).toBe(direct.status);
  });
});
