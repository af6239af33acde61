// Soak run: long mixed traffic through two gateways at once, as a demanding user runs them.
//
//   npm run build && node bench/soak.mjs [--minutes 10] [--concurrency 8] [--no-redis]
//
// Starts `gemwarden emulate` with faults (503s, 429s carrying RetryInfo, streams broken by an
// error object, a reset or an early close, slow answers), a real redis-server (unless --no-redis)
// and two `gemwarden serve` processes sharing it, each in its own process. Then it drives mixed
// traffic through the real SDKs, alternating gateways: @google/genai generateContent,
// generateContentStream, countTokens, embedContent and files upload+get+delete; openai
// chat.completions streamed and not; the Vercel AI SDK (`ai` + `@ai-sdk/google`) generateText and
// streamText. Every minute it prints requests done and failures by kind, each gateway's RSS (MB,
// from /proc), open sockets (from /proc/PID/fd), retries and failures (from /metrics), and error
// lines in the gateways' logs. A failure whose message none of the emulator's faults explains is
// printed as UNEXPLAINED; a request in flight for more than 2 minutes is printed as HUNG.
// Exit code 1 when anything unexplained, hung or logged at level error was seen.
import { readdirSync, readlinkSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { generateText, streamText } from 'ai';
import { rssMb, startNode, stopProcess } from './processes.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const MINUTES = option('--minutes', 10);
const CONCURRENCY = option('--concurrency', 8);
const USE_REDIS = !args.includes('--no-redis');
const HANG_MS = 120_000;

/** Faults a well-behaved gateway should absorb or pass on with Gemini's own words. */
const EMULATOR_CONFIG = {
  seed: 7,
  faults: [
    { model: 'gemini-2.5-flash', status: 503, rate: 0.08 },
    { model: 'gemini-2.5-flash', status: 429, rate: 0.05 },
    { model: 'gemini-2.5-flash', status: 503, rate: 0.08, midStream: true },
    { model: 'gemini-2.5-flash', midStream: true, breakAs: 'reset', rate: 0.04 },
    { model: 'gemini-2.5-flash', midStream: true, breakAs: 'close', rate: 0.04 },
    { model: 'gemini-2.5-flash', latencyMs: 4000, rate: 0.05 },
    { model: 'gemini-embedding-001', status: 503, rate: 0.05 },
  ],
};
/**
 * Messages the faults above can explain when a retry budget runs out (the status words Gemini
 * uses, a stream cut short, a socket reset). Anything else reaching a client is a finding.
 */
const EXPLAINED =
  /503|429|UNAVAILABLE|RESOURCE_EXHAUSTED|overloaded|high demand|quota|terminated|ECONNRESET|socket hang up|other side closed|reset|stream (?:ended|broke|was cut)|incomplete|retry/i;

const GATEWAY_CONFIG = (upstream, redisUrl) => ({
  upstream,
  keys: [
    { key: 'soak-key-a-0001', project: 'soak-a' },
    { key: 'soak-key-b-0002', project: 'soak-b' },
  ],
  fallbacks: { 'gemini-2.5-flash': ['gemini-2.5-flash-lite'] },
  logLevel: 'warn',
  ...(redisUrl ? { redis: redisUrl } : {}),
});

/** Starts a gateway whose JSON log lines (stdout) are read for errors. */
async function startGateway(config, logs) {
  const file = join(mkdtempSync(join(tmpdir(), 'gemwarden-soak-')), 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  const handle = await startNode(['bin/gemwarden.js', 'serve', '--port', '0', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  const read = (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      let level = 0;
      try {
        level = JSON.parse(line).level ?? 0;
      } catch {
        level = /error|uncaught|unhandled/i.test(line) ? 50 : 0;
      }
      if (level >= 50) logs.push(line.slice(0, 400));
    }
  };
  handle.child.stdout.on('data', read);
  handle.child.stderr.on('data', read);
  return handle;
}

const openSockets = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return -1;
  }
};

/** Sum of a counter family in the gateway's /metrics text. */
async function metricSum(url, name) {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop()) || 0;
    return sum;
  } catch {
    return NaN;
  }
}

/** One request of each kind; each returns when the SDK call has fully ended (streams read to the end). */
function kinds(url) {
  const genai = new GoogleGenAI({ apiKey: 'soak-client', httpOptions: { baseUrl: url } });
  const openai = new OpenAI({ apiKey: 'soak-client', baseURL: `${url}/v1`, maxRetries: 0 });
  const google = createGoogleGenerativeAI({ baseURL: `${url}/v1beta`, apiKey: 'soak-client' });
  const prompt = () => `Soak prompt ${Math.floor(Math.random() * 1e6)}: tell a short story.`;
  return {
    'genai.generateContent': async () => {
      const answer = await genai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt() });
      if (!answer.text) throw new Error(`empty answer: ${JSON.stringify(answer).slice(0, 200)}`);
    },
    'genai.generateContentStream': async () => {
      let text = '';
      const stream = await genai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: prompt() });
      for await (const chunk of stream) text += chunk.text ?? '';
      if (!text) throw new Error('empty stream');
    },
    'genai.countTokens': async () => {
      const answer = await genai.models.countTokens({ model: 'gemini-2.5-flash', contents: prompt() });
      if (!(answer.totalTokens > 0)) throw new Error(`no totalTokens: ${JSON.stringify(answer)}`);
    },
    'genai.embedContent': async () => {
      const answer = await genai.models.embedContent({ model: 'gemini-embedding-001', contents: prompt() });
      if (!answer.embeddings?.[0]?.values?.length) throw new Error('no embedding');
    },
    'genai.files': async () => {
      const file = await genai.files.upload({
        file: new Blob([`soak file ${Math.random()}`], { type: 'text/plain' }),
        config: { mimeType: 'text/plain' },
      });
      const got = await genai.files.get({ name: file.name });
      if (got.name !== file.name) throw new Error(`files.get gave ${got.name} for ${file.name}`);
      await genai.files.delete({ name: file.name });
    },
    'openai.chat': async () => {
      const answer = await openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: prompt() }],
      });
      if (!answer.choices[0]?.message?.content) throw new Error('empty chat answer');
    },
    'openai.chat.stream': async () => {
      let text = '';
      const stream = await openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: prompt() }],
        stream: true,
      });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      if (!text) throw new Error('empty chat stream');
    },
    'ai.generateText': async () => {
      const answer = await generateText({ model: google('gemini-2.5-flash'), prompt: prompt(), maxRetries: 0 });
      if (!answer.text) throw new Error('empty generateText');
    },
    'ai.streamText': async () => {
      let text = '';
      let failure;
      const result = streamText({
        model: google('gemini-2.5-flash'),
        prompt: prompt(),
        maxRetries: 0,
        onError: ({ error }) => (failure = error),
      });
      for await (const part of result.textStream) text += part;
      if (failure) throw failure;
      // The AI SDK ends a broken stream quietly with finishReason 'other' (straight to Gemini too).
      const finishReason = await result.finishReason;
      if (finishReason !== 'stop') throw new Error(`stream ended with finishReason ${finishReason}`);
      if (!text) throw new Error('empty streamText');
    },
  };
}

const messageOf = (error) =>
  `${error?.status ?? error?.statusCode ?? ''} ${error?.message ?? String(error)}${error?.cause?.message ? ` (cause: ${error.cause.message})` : ''}`
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);

async function main() {
  const children = [];
  const configFile = join(mkdtempSync(join(tmpdir(), 'gemwarden-soak-')), 'emulator.json');
  writeFileSync(configFile, JSON.stringify(EMULATOR_CONFIG));
  const emulator = await startNode(['bin/gemwarden.js', 'emulate', '--port', '0', '--config', configFile]);
  children.push(emulator);
  let redis;
  if (USE_REDIS) {
    const { startRedis } = await import('./redis.mjs');
    redis = await startRedis();
  }
  const logs = [];
  const gateways = [];
  for (let i = 0; i < 2; i++) gateways.push(await startGateway(GATEWAY_CONFIG(emulator.url, redis?.url), logs));
  children.push(...gateways);
  console.log(
    `soak: ${MINUTES} min, ${CONCURRENCY} at once, emulator ${emulator.url}, gateways ${gateways.map((g) => g.url).join(' ')}${redis ? `, redis ${redis.url}` : ', no Redis'}`,
  );

  const clients = gateways.map((gateway) => kinds(gateway.url));
  const names = Object.keys(clients[0]);
  const done = new Map(names.map((name) => [name, 0]));
  const failed = new Map(names.map((name) => [name, 0]));
  const samples = new Map();
  const unexplained = [];
  const inFlight = new Set();
  const hung = new Set();
  const stopAt = Date.now() + MINUTES * 60_000;
  let turn = 0;

  async function worker() {
    while (Date.now() < stopAt) {
      const index = turn++;
      const name = names[index % names.length];
      const run = clients[index % gateways.length][name];
      const entry = { name, gateway: index % gateways.length, started: Date.now() };
      inFlight.add(entry);
      try {
        await run();
        done.set(name, done.get(name) + 1);
      } catch (error) {
        failed.set(name, failed.get(name) + 1);
        const message = messageOf(error);
        const key = `${name}: ${message.slice(0, 120)}`;
        samples.set(key, (samples.get(key) ?? 0) + 1);
        if (!EXPLAINED.test(message)) unexplained.push(`${name} via gateway ${entry.gateway}: ${message}`);
      } finally {
        inFlight.delete(entry);
        if (Date.now() - entry.started > HANG_MS) hung.add(`${name} took ${Date.now() - entry.started} ms`);
      }
    }
  }

  let minute = 0;
  let reportedUnexplained = 0;
  let reportedLogs = 0;
  const report = async () => {
    minute++;
    const now = Date.now();
    for (const entry of inFlight)
      if (now - entry.started > HANG_MS)
        hung.add(`${entry.name} via gateway ${entry.gateway} in flight since ${new Date(entry.started).toISOString()}`);
    const per = names.map((name) => `${name} ${done.get(name)}/${failed.get(name)}`).join(', ');
    const health = await Promise.all(
      gateways.map(async (gateway, i) => {
        const retries = await metricSum(gateway.url, 'gemwarden_retries_total');
        const failures = await metricSum(gateway.url, 'gemwarden_failures_total');
        return `gw${i} rss ${rssMb(gateway.pid).toFixed(1)} MB, sockets ${openSockets(gateway.pid)}, retries ${retries}, failures ${failures}`;
      }),
    );
    console.log(`[minute ${minute}] ok/failed: ${per}`);
    console.log(
      `[minute ${minute}] ${health.join(' | ')} | in flight ${inFlight.size} | hung ${hung.size} | gateway error logs ${logs.length}`,
    );
    for (const line of unexplained.slice(reportedUnexplained)) console.log(`  UNEXPLAINED ${line}`);
    reportedUnexplained = unexplained.length;
    for (const line of logs.slice(reportedLogs, reportedLogs + 5)) console.log(`  GATEWAY ERROR LOG ${line}`);
    reportedLogs = logs.length;
  };
  const timer = setInterval(() => void report(), 60_000);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(timer);
  await report();

  console.log('failures by message (kind: message × count):');
  for (const [key, count] of [...samples].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${key} × ${count}`);
  for (const line of hung) console.log(`  HUNG ${line}`);
  await Promise.all(children.map((child) => stopProcess(child)));
  await redis?.stop();
  process.exitCode = unexplained.length + hung.size + logs.length > 0 ? 1 : 0;
}

await main();
