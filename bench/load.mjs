// A load generator run in its own process: `node load.mjs URL CONCURRENCY DURATION_MS [HEADERS_JSON] [BODY]`.
// Keep-alive connections (undici), a small generateContent body; prints { requests, errors, rps, p50Ms, p95Ms }.
import { Agent, request } from 'undici';

const [url, concurrencyText, durationText, headersText, bodyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const duration = Number(durationText);
const headers = {
  'content-type': 'application/json',
  'x-goog-api-key': 'bench-load-key',
  ...(headersText ? JSON.parse(headersText) : {}),
};
const body = bodyText || JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
const dispatcher = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
const latencies = [];
let errors = 0;
const started = performance.now();
const end = started + duration;
// Warm up the connections first.
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    const response = await request(url, { method: 'POST', headers, body, dispatcher });
    await response.body.text();
  }),
);
const measuredStart = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const response = await request(url, { method: 'POST', headers, body, dispatcher });
        await response.body.text();
        if (response.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }),
);
const elapsed = performance.now() - measuredStart;
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? null;
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, errors, rps: latencies.length / (elapsed / 1000), p50Ms: at(50), p95Ms: at(95), elapsedMs: elapsed })}\n`,
);
await dispatcher.close();
