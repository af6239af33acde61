// Resource expiry and Live key refusals through the gateway, over real sockets with @google/genai:
// - a file past its 48 hours gets Google's 403 plus gemwarden's explanation, no key is taken out,
//   and plain calls (and new files) keep working;
// - a Live session whose setup the first key cannot get (key not valid, or quota 429) is set up on
//   another key before the client sees anything.
import { GoogleGenAI, type LiveServerMessage } from '@google/genai';
import { describe, expect, it } from 'vitest';
import type { EmulatorConfig, EmulatorHandle } from '../src/emulator/index.js';
import type { GatewayHandle } from '../src/gateway/index.js';
import { FakeClock } from '../src/time/index.js';
import { startStack } from './helpers/stack.js';

const A = { key: 'key-alpha-00000001', project: 'alpha' };
const B = { key: 'key-beta-000000002', project: 'beta' };
const DAY = 86_400_000;
const LIVE_MODEL = 'gemini-2.0-flash-live-001';

let emulator: EmulatorHandle | undefined;
let gateway: GatewayHandle | undefined;

async function start(
  gatewayKeys: Array<{ key: string; project: string }>,
  emulatorConfig: EmulatorConfig = {},
  clock?: FakeClock,
) {
  const stack = await startStack({
    emulator: { keys: [A, B], ...emulatorConfig },
    emulatorOptions: clock ? { clock } : {},
    gateway: { keys: gatewayKeys },
  });
  emulator = stack.emulator;
  gateway = stack.gateway;
  return stack.genai();
}

interface KeyStatus {
  keyHint: string;
  project: string;
  healthy: boolean;
}

async function keyStatus(): Promise<KeyStatus[]> {
  const status = (await (await fetch(`${gateway!.url}/status.json`)).json()) as { keys: KeyStatus[] };
  return status.keys;
}

function citing(uri: string) {
  return [{ role: 'user', parts: [{ text: 'read this' }, { fileData: { fileUri: uri, mimeType: 'text/plain' } }] }];
}

/** One Live session with one text turn; resolves with the answer's text. */
async function liveTurn(sdk: GoogleGenAI): Promise<string> {
  const messages: LiveServerMessage[] = [];
  let turnDone: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    turnDone = resolve;
    failed = reject;
  });
  const session = await sdk.live.connect({
    model: LIVE_MODEL,
    callbacks: {
      onmessage: (message) => {
        messages.push(message);
        if (message.serverContent?.turnComplete) turnDone();
      },
      onclose: (event) => failed(new Error(`closed ${event.code}: ${event.reason}`)),
    },
  });
  session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true });
  await done;
  session.close();
  return messages
    .flatMap((message) => message.serverContent?.modelTurn?.parts ?? [])
    .map((part) => part.text ?? '')
    .join('');
}

describe('an expired file through the gateway', () => {
  it("gets Google's 403 with gemwarden's word after 48 hours, takes no key out, and plain calls go on", async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const sdk = await start([A, B], {}, clock);
    const file = await sdk.files.upload({ file: new Blob(['words to keep'], { type: 'text/plain' }) });
    const fresh = await sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: citing(file.uri!) });
    expect(fresh.text?.length).toBeGreaterThan(0);

    await clock.advance(2 * DAY + 1_000); // past the file's 48 hours on the emulated clock

    const late = await fetch(`${gateway!.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: citing(file.uri!) }),
    });
    expect(late.status).toBe(403);
    const body = (await late.json()) as {
      error: { status: string; message: string; gemwarden?: { explanation: string; remedies: string[] } };
    };
    expect(body.error.status).toBe('PERMISSION_DENIED');
    expect(body.error.message).toContain('You do not have permission to access the File');
    expect(body.error.gemwarden?.explanation).toContain(file.name);
    expect(body.error.gemwarden?.explanation).toContain('expired (files live 48 hours)');
    expect(body.error.gemwarden?.remedies.join(' ')).toContain('Upload the file');
    const get = await fetch(`${gateway!.url}/v1beta/${file.name}`);
    expect(get.status).toBe(403);

    // The file was asked of its owner's project only; no key was taken out for it.
    const stats = (await (await fetch(`${emulator!.url}/_emulator/resources`)).json()) as {
      byResource: Record<string, Record<string, number>>;
    };
    expect(Object.keys(stats.byResource[file.name!] ?? {})).toHaveLength(1);
    const keys = await keyStatus();
    expect(keys).toHaveLength(2);
    expect(keys.every((key) => key.healthy)).toBe(true);

    const plain = await sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello' });
    expect(plain.text?.length).toBeGreaterThan(0);
    const again = await sdk.files.upload({ file: new Blob(['words to keep'], { type: 'text/plain' }) });
    const answer = await sdk.models.generateContent({ model: 'gemini-2.5-flash', contents: citing(again.uri!) });
    expect(answer.text?.length).toBeGreaterThan(0);
  });
});

describe('a Live session through the gateway', () => {
  it('whose first key is not valid is set up on the next key, and the bad key is taken out', async () => {
    const revoked = { key: 'key-revoked-0000009', project: 'alpha' };
    const sdk = await start([revoked, B]);
    const text = await liveTurn(sdk);
    const direct = await liveTurn(new GoogleGenAI({ apiKey: B.key, httpOptions: { baseUrl: emulator!.url } }));
    expect(text).toBe(direct);
    // The refused key was tried first (the pool's order for unused keys), and is out now.
    const keys = await keyStatus();
    expect(keys.find((key) => key.project === revoked.project)?.healthy).toBe(false);
    expect(keys.find((key) => key.project === B.project)?.healthy).toBe(true);
  });

  it("whose first key's project answers 429 at setup is set up on another project's key, both kept", async () => {
    const sdk = await start([A, B], { faults: [{ project: 'alpha', status: 429, first: 1 }] });
    const text = await liveTurn(sdk);
    expect(text.length).toBeGreaterThan(0);
    // The one 429 went to the gateway: alpha answers a direct call now.
    const direct = await fetch(`${emulator!.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': A.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }),
    });
    expect(direct.status).toBe(200);
    expect((await keyStatus()).every((key) => key.healthy)).toBe(true);
  });
});
