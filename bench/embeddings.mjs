// Issue #20's embeddings goal: a batch of 10,000 texts (100 batchEmbedContents calls of 100 texts,
// Google's cap per call) under a known RPM and TPM quota, sent all at once, against the quota
// optimum. Through the gateway (its pass-through paces embedding calls per project and model) and
// through the library's batchEmbedContents, each against a fresh emulator with a compressed clock.
import { createClient } from '../dist/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTextTokens } from '../dist/emulator/index.js';
import { goal, notMeasured } from './goals.mjs';
import { percentile } from './http.mjs';
import { startEmulatorProcess, startGatewayProcess, stopProcess } from './processes.mjs';

const KEY = { key: 'bench-embed-key-0001', project: 'p1' };
const MODEL = 'text-embedding-004';
const TEXTS = 10_000;
const PER_CALL = 100;
/** A compressed minute, long enough that its pacing margin (2%) covers the emulator computing a call's vectors before it counts it. */
const MINUTE_MS = 5000;
const RPM = 20;
/** Vectors cut to 64 numbers: the answer bodies stay small, the quota arithmetic is the same. */
const DIMENSIONS = 64;

const text = (index) => `Passage ${index}: the river bends past the old mill and runs on toward the sea.`;

/** The calls' bodies: { requests: [...100 EmbedContentRequest] } each. */
function batches() {
  return Array.from({ length: TEXTS / PER_CALL }, (_, call) => ({
    requests: Array.from({ length: PER_CALL }, (_, item) => ({
      model: `models/${MODEL}`,
      content: { parts: [{ text: text(call * PER_CALL + item) }] },
      outputDimensionality: DIMENSIONS,
    })),
  }));
}

/**
 * The quota: RPM 20, and a TPM that admits 24 calls' tokens (as the emulator counts them), so the
 * RPM binds and a pacer that over-counts tokens by more than 20% pays for it. The optimum: the
 * last call leaves when the window that has room for it opens.
 */
function quota() {
  const tokensPerCall = Math.max(
    ...batches().map((body) =>
      body.requests.reduce((sum, entry) => sum + countTextTokens(entry.content.parts[0].text), 0),
    ),
  );
  const tpm = tokensPerCall * 24;
  const perWindow = Math.min(RPM, Math.floor(tpm / tokensPerCall));
  return { rpm: RPM, tpm, optimumMs: (Math.ceil(TEXTS / PER_CALL / perWindow) - 1) * MINUTE_MS };
}

const CONTENDERS = [
  {
    name: 'gemwarden gateway (pass-through, own process)',
    async setup(url, limits) {
      const gateway = await startGatewayProcess({
        upstream: url,
        keys: [KEY],
        limits: { [MODEL]: limits },
        quotaWindows: { minuteMs: MINUTE_MS },
      });
      return {
        embed: async (body) => {
          const response = await fetch(`${gateway.url}/v1beta/models/${MODEL}:batchEmbedContents`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gateway-client' },
            body: JSON.stringify(body),
          });
          const answer = await response.text();
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${answer.slice(0, 120)}`);
          return JSON.parse(answer).embeddings?.length ?? 0;
        },
        close: () => stopProcess(gateway),
      };
    },
  },
  {
    name: 'gemwarden library (batchEmbedContents)',
    async setup(url, limits) {
      const client = createClient({
        keys: [KEY],
        baseUrl: url,
        limits: { [MODEL]: limits },
        quotaWindows: { minuteMs: MINUTE_MS },
      });
      return {
        embed: async (body) => (await client.batchEmbedContents(MODEL, body)).response.embeddings?.length ?? 0,
        close: () => client.close(),
      };
    },
  },
];

export async function embeddingsScenario({ log, capMs }) {
  const limits = quota();
  const { optimumMs } = limits;
  delete limits.optimumMs;
  const results = [];
  for (const contender of CONTENDERS) {
    // The emulator in its own process too: computing 10,000 vectors must not hold up the client.
    const config = join(mkdtempSync(join(tmpdir(), 'gemwarden-embed-')), 'emulator.json');
    writeFileSync(
      config,
      JSON.stringify({ seed: 1, keys: [KEY], models: { [MODEL]: limits }, clock: { minuteMs: MINUTE_MS } }),
    );
    const emulator = await startEmulatorProcess({ config });
    const driver = await contender.setup(emulator.url, limits);
    const latencies = [];
    const errors = new Map();
    const started = performance.now();
    const embedded = await Promise.all(
      batches().map(async (body) => {
        const t0 = performance.now();
        try {
          return await Promise.race([
            driver.embed(body),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error(`no answer within ${capMs / 1000} s`)), capMs).unref(),
            ),
          ]);
        } catch (error) {
          const message = String(error?.message ?? error).slice(0, 160);
          errors.set(message, (errors.get(message) ?? 0) + 1);
          return 0;
        } finally {
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const totalMs = performance.now() - started;
    await driver.close();
    const stats = await (await fetch(`${emulator.url}/_emulator/stats`)).json();
    await stopProcess(emulator);
    latencies.sort((a, b) => a - b);
    const texts = embedded.reduce((sum, count) => sum + count, 0);
    const row = {
      contender: contender.name,
      requests: TEXTS / PER_CALL,
      successRate: texts / TEXTS,
      upstreamCalls: stats.total,
      http429: stats.byStatus['429'] ?? 0,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      totalMs,
      optimumMs,
      ...(errors.size > 0 ? { commonError: [...errors].sort((a, b) => b[1] - a[1])[0][0] } : {}),
    };
    results.push(row);
    log(
      `  ${contender.name.padEnd(46)} texts ${texts}  calls ${stats.total}  429s ${row.http429}  total ${(totalMs / 1000).toFixed(1)} s (optimum ${(optimumMs / 1000).toFixed(1)} s)${row.commonError ? `  (${row.commonError.slice(0, 60)})` : ''}`,
    );
  }
  const through = results[0];
  const library = results[1];
  const ratio = (row) => row.totalMs / row.optimumMs;
  const goals =
    through.successRate === 1
      ? [
          goal(
            'embeddings: 10,000 texts at most 1.10× the quota optimum (through the gateway)',
            ratio(through),
            1.1,
            (value) => `${value.toFixed(2)}× (library ${ratio(library).toFixed(2)}×)`,
            'at most',
          ),
          goal('embeddings through the gateway: 0 429s', through.http429, 0, (value) => `${value} 429s`, 'at most'),
        ]
      : [
          notMeasured(
            'embeddings: 10,000 texts at most 1.10× the quota optimum (through the gateway)',
            `only ${(through.successRate * 100).toFixed(1)}% of the texts came back (${through.commonError ?? 'no error text'})`,
          ),
        ];
  return {
    name: 'embeddings',
    title: `8. Embeddings: ${TEXTS.toLocaleString('en-US')} texts in ${TEXTS / PER_CALL} batchEmbedContents calls at ${RPM} RPM and ${limits.tpm.toLocaleString('en-US')} TPM (minute = ${MINUTE_MS / 1000} s)`,
    results,
    goals,
    notes: [
      `All ${TEXTS / PER_CALL} calls leave at once; each carries ${PER_CALL} texts (Google's cap per call) and asks for ${DIMENSIONS}-number vectors of ${MODEL}. The emulator counts a call as one request and its texts' tokens against TPM; the TPM admits 24 calls' tokens per minute, so the RPM binds. Success is the share of the ${TEXTS.toLocaleString('en-US')} vectors that came back.`,
      'Both are told the limits (the gateway in its config, the library in createClient). The optimum: the last call leaves as the window with room for it opens.',
      "Pacing estimates a call's tokens at Google's figure of about 4 characters a token (ai.google.dev/gemini-api/docs/tokens); the emulator counts by the same documented figure, so here the estimate is right and the RPM binds with no slack: a 429 in this row is a request per minute counted by the emulator later than pacing booked it (its margin, 2% of the minute, is 100 ms here), not a token estimate. Estimates that are off are corrected per model from answers and from TPM 429s (src/pacing/calibration.ts, tested beside it); an embedding answer carries no token count, so only a TPM 429 can correct an embedding estimate.",
    ],
  };
}
