// The doctor's verdict wordings, in process: the emulator's handler answers as Gemini does, the
// transport turns each refusal into a GeminiError, and the words come from the error's situation
// (errors/situations.ts), never from reading its message here.
import { describe, expect, it } from 'vitest';
import { createEmulatorHandler, emulatorConfigSchema } from '../src/emulator/index.js';
import { runDoctor } from '../src/doctor/run-doctor.js';

const KEYS = { valid: 'valid-key-0000aaaa', expired: 'expired-key-0000bbbb', invalid: 'invalid-key-0000cccc' };
const MODEL = 'gemini-2.5-flash';

function doctorFetch() {
  const emulator = createEmulatorHandler(
    emulatorConfigSchema.parse({
      keys: [
        { key: KEYS.valid, project: 'p-valid' },
        { key: KEYS.expired, state: 'expired' },
        { key: KEYS.invalid, state: 'invalid' },
      ],
    }),
  );
  return (input: string | URL | Request, init?: RequestInit) => emulator.fetch(new Request(input, init));
}

describe('doctor verdicts', () => {
  it('tells an expired key, a key not valid and a call without a key apart', async () => {
    const report = await runDoctor({
      keys: [{ key: KEYS.valid }, { key: KEYS.expired }, { key: KEYS.invalid }, { key: '' }],
      models: [MODEL],
      upstream: 'http://emulator.invalid',
      generate: true,
      fetch: doctorFetch(),
    });
    const verdicts = report.keys.map((key) => key.models[MODEL]);
    expect(verdicts.map((verdict) => [verdict?.ok, verdict?.kind, verdict?.result])).toEqual([
      [true, 'ok', 'ok'],
      [false, 'api_key_invalid', 'key expired'],
      [false, 'api_key_invalid', 'key not valid'],
      [false, 'permission_denied', 'no key sent'],
    ]);
    // The explanation is the situation's: an expired key is not called mistyped, a missing key not refused.
    expect(verdicts[1]?.explanation).toMatch(/has expired/);
    expect(verdicts[3]?.explanation).toMatch(/carried no API key/);
    expect(verdicts[3]?.remedies.join(' ')).toMatch(/x-goog-api-key/);
    expect(report.ok).toBe(false); // three keys with no working model
  });
});
