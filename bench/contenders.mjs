// The contenders, each driven by the bench's own code against the same emulator. Every driver
// exposes call(model) for one generateContent and stream(model) for one streamed answer, resolving
// to { ok, error? }, and close().
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { GoogleGenAI } from '@google/genai';
import { generateText, streamText } from 'ai';
import { createClient } from '../dist/index.js';
import { startGatewayProcess, stopProcess } from './processes.mjs';

const PROMPT = 'Write one short sentence about rivers.';

/** Runs one call; a stream driver's run returns the text it received, which must be the whole answer. */
async function outcome(run) {
  try {
    const text = await run();
    if (typeof text === 'string' && !text.trimEnd().endsWith('.'))
      return { ok: false, error: `incomplete answer reported as success: …${text.slice(-40)}` };
    return { ok: true };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error).slice(0, 200) };
  }
}

function genaiDriver(baseUrl, key, retries) {
  const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl, ...(retries ? { retryOptions: {} } : {}) } });
  return {
    call: (model, signal) =>
      outcome(() => ai.models.generateContent({ model, contents: PROMPT, config: { abortSignal: signal } })),
    stream: (model, signal) =>
      outcome(async () => {
        let text = '';
        for await (const chunk of await ai.models.generateContentStream({
          model,
          contents: PROMPT,
          config: { abortSignal: signal },
        }))
          text += chunk.text ?? '';
        return text;
      }),
    close: async () => undefined,
  };
}

export const CONTENDERS = [
  {
    name: 'gemwarden library',
    async setup({ url, keys, fallbacks, limits, clock, policy }) {
      const client = createClient({
        keys,
        baseUrl: url,
        fallbacks,
        ...(limits ? { limits } : {}),
        ...(clock ? { quotaWindows: clock } : {}),
        ...policy,
      });
      return {
        call: (model, signal) =>
          outcome(() =>
            client.generateContent(model, { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }, { signal }),
          ),
        stream: (model, signal) =>
          outcome(async () => {
            let text = '';
            for await (const chunk of client.generateContentStream(
              model,
              { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] },
              { signal },
            ))
              text += chunk.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
            return text;
          }),
        close: () => client.close(),
      };
    },
  },
  {
    name: 'gemwarden gateway + @google/genai',
    // `gemwarden serve` in its own process, as users run it (Portkey runs in its own process too):
    // the gateway does not share the bench's thread with the SDK and the emulator.
    async setup({ url, keys, fallbacks, limits, clock, policy }) {
      const gateway = await startGatewayProcess({
        upstream: url,
        keys,
        fallbacks,
        ...(limits ? { limits } : {}),
        ...(clock ? { quotaWindows: clock } : {}),
        ...(policy.rateLimitFallbackAfterMs !== undefined
          ? { rateLimitFallbackAfterMs: policy.rateLimitFallbackAfterMs }
          : {}),
        ...(policy.streamRepair ? { streamRepair: policy.streamRepair } : {}),
      });
      const driver = genaiDriver(gateway.url, 'gateway-client', false);
      return { ...driver, close: () => stopProcess(gateway) };
    },
  },
  {
    name: '@google/genai (retryOptions on)',
    async setup({ url, keys }) {
      return genaiDriver(url, typeof keys[0] === 'string' ? keys[0] : keys[0].key, true);
    },
  },
  {
    name: '@google/genai (defaults: no retries)',
    async setup({ url, keys }) {
      return genaiDriver(url, typeof keys[0] === 'string' ? keys[0] : keys[0].key, false);
    },
  },
  {
    name: 'Vercel AI SDK (maxRetries 2)',
    async setup({ url, keys }) {
      const google = createGoogleGenerativeAI({
        baseURL: `${url}/v1beta`,
        apiKey: typeof keys[0] === 'string' ? keys[0] : keys[0].key,
      });
      return {
        call: (model, signal) =>
          outcome(() => generateText({ model: google(model), prompt: PROMPT, abortSignal: signal })),
        stream: (model, signal) =>
          outcome(async () => {
            const result = streamText({
              model: google(model),
              prompt: PROMPT,
              abortSignal: signal,
              onError: () => undefined,
            });
            let text = '';
            for await (const part of result.fullStream) {
              if (part.type === 'error') throw part.error;
              if (part.type === 'text-delta') text += part.text ?? part.delta ?? '';
            }
            return text;
          }),
        close: async () => undefined,
      };
    },
  },
  {
    name: 'Portkey gateway (retry + fallback)',
    async setup({ url, keys, fallbacks, portkeyUrl }) {
      const keyList = keys.map((key) => (typeof key === 'string' ? key : key.key));
      const configFor = (model) => {
        const models = [model, ...(fallbacks[model] ?? [])];
        const targets = models.flatMap((name) =>
          keyList.map((key) => ({
            provider: 'google',
            api_key: key,
            custom_host: url,
            override_params: { model: name },
          })),
        );
        return JSON.stringify({
          retry: { attempts: 2, on_status_codes: [429, 500, 502, 503, 504] },
          strategy: { mode: 'fallback', on_status_codes: [429, 500, 502, 503, 504] },
          targets,
        });
      };
      const post = async (model, stream, signal) => {
        const response = await fetch(`${portkeyUrl}/v1/chat/completions`, {
          method: 'POST',
          signal,
          headers: { 'content-type': 'application/json', 'x-portkey-config': configFor(model) },
          body: JSON.stringify({
            model,
            messages: [{ role: 'user', content: PROMPT }],
            ...(stream ? { stream: true } : {}),
          }),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 150)}`);
        if (!stream) {
          if (!JSON.parse(text).choices?.[0]?.message) throw new Error(`no answer: ${text.slice(0, 150)}`);
          return undefined;
        }
        let content = '';
        for (const line of text.split('\n')) {
          if (!line.startsWith('data: ') || line.includes('[DONE]')) continue;
          try {
            const event = JSON.parse(line.slice(6));
            if (event.error) throw new Error(`stream error: ${JSON.stringify(event.error).slice(0, 120)}`);
            content += event.choices?.[0]?.delta?.content ?? '';
          } catch (error) {
            if (String(error.message).startsWith('stream error')) throw error;
          }
        }
        return content;
      };
      return {
        call: (model, signal) => outcome(() => post(model, false, signal)),
        stream: (model, signal) => outcome(() => post(model, true, signal)),
        close: async () => undefined,
      };
    },
  },
];
