import { describe, expect, it } from 'vitest';
import { classify } from '../errors/index.js';
import { TokenCalibration } from './calibration.js';
import { estimateRequestTokens, estimateTextTokens } from './estimate.js';
import { MemoryPacingStore } from './memory-store.js';
import { GeminiPacer } from './pacer.js';
import { defaultWindows } from './store.js';

/** A TPM 429 as Gemini sends it, naming the tokens-per-minute quota and its value. */
function tpmRefusal(limit: number) {
  return classify({
    status: 429,
    body: JSON.stringify({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'You exceeded your current quota.',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count',
                quotaId: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
                quotaValue: String(limit),
              },
            ],
          },
        ],
      },
    }),
  });
}

describe('token estimate', () => {
  it('is a token per 4 ASCII characters (Google: "a token is equivalent to about 4 characters")', () => {
    expect(estimateTextTokens('a'.repeat(400))).toBe(100);
    expect(estimateTextTokens('abcde')).toBe(2);
    expect(estimateTextTokens('')).toBe(0);
  });

  it('counts a token per character outside ASCII', () => {
    expect(estimateTextTokens('日本語のテキスト')).toBe(8);
    expect(estimateTextTokens('café')).toBe(2); // "caf" → 1, "é" → 1
  });

  it('adds system instruction, tools and a small image per media part; never less than 1', () => {
    const request = {
      contents: [
        { role: 'user', parts: [{ text: 'x'.repeat(40) }, { inlineData: { mimeType: 'image/png', data: '' } }] },
      ],
      systemInstruction: { parts: [{ text: 'y'.repeat(8) }] },
    };
    expect(estimateRequestTokens(request)).toBe(10 + 258 + 2);
    expect(estimateRequestTokens({ contents: [] })).toBe(1);
  });
});

describe('token calibration', () => {
  it('starts at 1 and leaves estimates alone', () => {
    const calibration = new TokenCalibration();
    expect(calibration.factor('m')).toBe(1);
    expect(calibration.scale('m', 37)).toBe(37);
  });

  it('rises at once to a higher ratio, at most 2× per answer', () => {
    const calibration = new TokenCalibration();
    calibration.observe('m', 100, 150);
    expect(calibration.factor('m')).toBe(1.5);
    expect(calibration.scale('m', 10)).toBe(15);
    calibration.observe('m', 100, 6000); // one odd request (a long video) moves it 2× at most
    expect(calibration.factor('m')).toBe(3);
    expect(calibration.factor('other')).toBe(1);
  });

  it('falls a quarter of the gap per answer that counts fewer', () => {
    const calibration = new TokenCalibration();
    calibration.observe('m', 100, 200);
    calibration.observe('m', 100, 100);
    expect(calibration.factor('m')).toBe(1.75);
    calibration.observe('m', 100, 100);
    expect(calibration.factor('m')).toBeCloseTo(1.5625);
  });

  it('a TPM refusal while the count fitted raises the factor by limit ÷ count (1.1× to 2×)', () => {
    const calibration = new TokenCalibration();
    calibration.refused('m', 800, 1000);
    expect(calibration.factor('m')).toBeCloseTo(1.25);
    calibration.refused('m', 1000, 1000);
    expect(calibration.factor('m')).toBeCloseTo(1.375);
    calibration.refused('m', 100, 1000);
    expect(calibration.factor('m')).toBeCloseTo(2.75);
    calibration.refused('m', 1200, 1000); // our count was over already: says nothing of the estimates
    expect(calibration.factor('m')).toBeCloseTo(2.75);
  });
});

describe('pacer with calibration', () => {
  const windows = defaultWindows({ minuteMs: 1000 });

  it('books later estimates of the model at the size its answers reported', async () => {
    const store = new MemoryPacingStore(windows);
    const pacer = new GeminiPacer({ store, limits: { m: { tpm: 1000 } }, quotaWindows: { minuteMs: 1000 } });
    const first = await pacer.reserve('p', 'm', 100, 0);
    first.release({ sent: true, inputTokens: 200 });
    await pacer.reserve('p', 'm', 100, 1);
    expect((await store.usage('p/m', 1)).minuteTokens).toBe(400);
    // 600 of 1000 left: a third request of estimate 300 is booked as 600 and fits; a fourth waits.
    expect((await pacer.reserve('p', 'm', 300, 2)).at).toBe(2);
    expect((await pacer.reserve('p', 'm', 1, 3)).at).toBeGreaterThan(1000);
  });

  it('after a TPM 429 that its count did not expect, books the next requests larger', async () => {
    const store = new MemoryPacingStore(windows);
    const pacer = new GeminiPacer({ store, limits: { m: { tpm: 1000 } }, quotaWindows: { minuteMs: 1000 } });
    for (let index = 0; index < 5; index++) await pacer.reserve('p', 'm', 100, index);
    expect((await store.usage('p/m', 5)).minuteTokens).toBe(500);
    pacer.learn('p', 'm', tpmRefusal(1000), 5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pacer.calibration.factor('m')).toBe(2);
    // 500 counted; the next estimate of 100 is booked as 200.
    await pacer.reserve('p', 'm', 100, 6);
    expect((await store.usage('p/m', 6)).minuteTokens).toBe(700);
    expect(pacer.limitsFor('p', 'm').tpm).toBe(1000);
  });
});
