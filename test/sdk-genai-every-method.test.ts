// Every public method @google/genai has for the Gemini Developer API, called through `gemwarden serve`
// and straight at the emulator, side by side. Do no harm: whatever the emulator answers directly
// (an answer, or Google's error), the same call through the gateway must come to the same shape of
// answer or the same error status, never a hang, a crash or a worse error.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FunctionCallingConfigMode, GoogleGenAI, type CallableTool, type LiveServerMessage } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOutcome, outcomeOf, type Outcome } from './helpers/sdk-outcomes.js';
import { useStack } from './helpers/stack.js';
import { startStandInUpstream, type StandInRequest, type StandInUpstream } from './helpers/stand-in-upstream.js';

// The gateway's two keys share one project; the direct client has a project of its own, so lists
// seen by each side hold only that side's resources.
const KEY_1 = 'key-sdk-tester-0001';
const KEY_2 = 'key-sdk-tester-0002';
const KEY_DIRECT = 'key-sdk-direct-0003';

const stack = useStack({
  emulator: {
    keys: [
      { key: KEY_1, project: 'alpha' },
      { key: KEY_2, project: 'alpha' },
      { key: KEY_DIRECT, project: 'direct' },
    ],
    clock: { minuteMs: 600 },
    // Faults chosen by the prompt, so the direct and the gateway run meet the same ones.
    faults: [
      { promptContains: 'blockme', finishReason: 'SAFETY' },
      { promptContains: 'promptblock', blockReason: 'PROHIBITED_CONTENT' },
      { promptContains: 'cutme', finishReason: 'MAX_TOKENS' },
    ],
  },
  gateway: {
    keys: [
      { key: KEY_1, project: 'alpha' },
      { key: KEY_2, project: 'alpha' },
    ],
    maxAttempts: 3,
  },
});
let downloads: string;

beforeAll(async () => {
  downloads = await mkdtemp(join(tmpdir(), 'sdk-tester-'));
});

afterAll(async () => {
  if (downloads) await rm(downloads, { recursive: true, force: true });
});

const direct = () => stack.genai({ apiKey: KEY_DIRECT, baseUrl: stack.emulator.url });
const through = () => stack.genai();

type Steps = Record<string, Outcome>;
/** Names of resources a run created: they differ between the two runs and are masked in messages. */
type Names = string[];

async function collect<T>(iterable: AsyncIterable<T> | Promise<AsyncIterable<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of await iterable) items.push(item);
  return items;
}

/** The `models.*` and `chats.*` methods, in the order a user meets them. */
async function modelSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  await step('models.generateContent', () => ai.models.generateContent({ model, contents: 'Name three rivers.' }));
  await step('models.generateContentStream', () =>
    collect(ai.models.generateContentStream({ model, contents: 'Name three rivers.' })),
  );
  await step('models.countTokens', () => ai.models.countTokens({ model, contents: 'Name three rivers.' }));
  await step('models.computeTokens', () => ai.models.computeTokens({ model, contents: 'Name three rivers.' }));
  await step('models.embedContent', () =>
    ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['one', 'two'] }),
  );
  await step('models.get', () => ai.models.get({ model }));
  await step('models.get (unknown model)', () => ai.models.get({ model: 'gemini-0.0-none' }));
  await step('models.list', () => collect(ai.models.list()));
  await step('models.list (tuned)', () => collect(ai.models.list({ config: { queryBase: false } })));
  await step('models.update', () =>
    ai.models.update({ model: 'tunedModels/sdk-tester-none', config: { displayName: 'renamed' } }),
  );
  await step('models.delete', () => ai.models.delete({ model: 'tunedModels/sdk-tester-none' }));
  await step('models.generateImages', () =>
    ai.models.generateImages({
      model: 'imagen-4.0-generate-001',
      prompt: 'a lighthouse',
      config: { numberOfImages: 1 },
    }),
  );
  await step('models.editImage', () =>
    ai.models.editImage({
      model: 'imagen-3.0-capability-001',
      prompt: 'a lighthouse',
      referenceImages: [],
    }),
  );
  await step('models.upscaleImage', () =>
    ai.models.upscaleImage({
      model: 'imagen-4.0-upscale-preview',
      image: { imageBytes: 'iVBORw0KGgo=', mimeType: 'image/png' },
      upscaleFactor: 'x2',
    }),
  );
  await step('models.recontextImage', () =>
    ai.models.recontextImage({ model: 'imagen-product-recontext-preview-06-30', source: { prompt: 'a lighthouse' } }),
  );
  await step('models.segmentImage', () =>
    ai.models.segmentImage({
      model: 'image-segmentation-001',
      source: { image: { imageBytes: 'iVBORw0KGgo=', mimeType: 'image/png' } },
    }),
  );
  await step('models.generateVideos', () =>
    ai.models.generateVideos({ model: 'veo-3.0-generate-001', prompt: 'a lighthouse at night' }),
  );
  const chat = ai.chats.create({ model });
  await step('chats.sendMessage', () => chat.sendMessage({ message: 'Hello' }));
  await step('chats.sendMessageStream', () => collect(chat.sendMessageStream({ message: 'And then?' })));
  await step('chats.getHistory', async () => chat.getHistory());
  return steps;
}

/** files.*, caches.*, batches.*, operations.*, tunings.*, authTokens.*, fileSearchStores.* */
async function resourceSteps(ai: GoogleGenAI, label: string, names: Names): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  let fileName = 'files/none';
  let fileUri = '';
  await step('files.upload', async () => {
    const file = await ai.files.upload({
      file: new Blob(['plain words '.repeat(600)], { type: 'text/plain' }),
      config: { displayName: 'words' },
    });
    fileName = file.name ?? fileName;
    fileUri = file.uri ?? '';
    names.push(fileName, fileName.replace(/^files\//, ''));
    return file;
  });
  await step('files.get', () => ai.files.get({ name: fileName }));
  await step('files.list', () => collect(ai.files.list()));
  await step('files.download', async () => {
    const path = join(downloads, `${label}-download.txt`);
    await ai.files.download({ file: fileName, downloadPath: path });
    return { bytes: (await readFile(path)).length };
  });
  await step('files.registerFiles', () =>
    ai.files.registerFiles({ auth: undefined as never, uris: ['gs://bucket/none.txt'] }),
  );

  let cacheName = 'cachedContents/none';
  await step('caches.create', async () => {
    const cache = await ai.caches.create({
      model,
      config: { contents: [{ role: 'user', parts: [{ fileData: { fileUri, mimeType: 'text/plain' } }] }] },
    });
    cacheName = cache.name ?? cacheName;
    names.push(cacheName);
    return cache;
  });
  await step('caches.get', () => ai.caches.get({ name: cacheName }));
  await step('caches.list', () => collect(ai.caches.list()));
  await step('caches.update', () => ai.caches.update({ name: cacheName, config: { ttl: '600s' } }));
  await step('caches.delete', () => ai.caches.delete({ name: cacheName }));
  await step('caches.get (deleted)', () => ai.caches.get({ name: cacheName }));

  let batchName = 'batches/none';
  await step('batches.create', async () => {
    const batch = await ai.batches.create({ model, src: [{ contents: [{ role: 'user', parts: [{ text: 'one' }] }] }] });
    batchName = batch.name ?? batchName;
    names.push(batchName);
    return batch;
  });
  // A batch moves PENDING → RUNNING → SUCCEEDED on the emulated clock, and its shape with it (dest
  // appears): the two runs may see it at different moments, so only what stays put is compared.
  const batchFacts = (batch: { name?: string; model?: string; state?: string }) => ({
    name: batch.name === batchName,
    model: batch.model,
    state: /^JOB_STATE_(PENDING|RUNNING|SUCCEEDED)$/.test(batch.state ?? ''),
  });
  await step('batches.get', async () => batchFacts(await ai.batches.get({ name: batchName })));
  await step('batches.list', async () => (await collect(ai.batches.list())).map(batchFacts));
  await step('batches.cancel', () => ai.batches.cancel({ name: batchName }));
  await step('batches.delete', () => ai.batches.delete({ name: batchName }));
  await step('batches.createEmbeddings', () =>
    ai.batches.createEmbeddings({
      model: 'gemini-embedding-001',
      src: { inlinedRequests: { contents: [{ parts: [{ text: 'one' }] }] } },
    }),
  );
  await step('files.delete', () => ai.files.delete({ name: fileName }));
  await step('files.get (deleted)', () => ai.files.get({ name: fileName }));

  await step('operations.get', () =>
    ai.operations.get({ operation: { name: 'models/veo-3.0-generate-001/operations/none' } as never }),
  );
  await step('operations.getVideosOperation', () =>
    ai.operations.getVideosOperation({ operation: { name: 'models/veo-3.0-generate-001/operations/none' } as never }),
  );

  await step('tunings.list', () => collect(ai.tunings.list()));
  await step('tunings.get', () => ai.tunings.get({ name: 'tunedModels/sdk-tester-none' }));
  await step('tunings.tune', () =>
    ai.tunings.tune({
      baseModel: 'models/gemini-1.5-flash-001-tuning',
      trainingDataset: { examples: [{ textInput: 'a', output: 'b' }] },
    }),
  );
  await step('tunings.cancel', () => ai.tunings.cancel({ name: 'tunedModels/sdk-tester-none' }));

  await step('authTokens.create', () => ai.authTokens.create({ config: { uses: 1 } }));

  let storeName = 'fileSearchStores/none';
  await step('fileSearchStores.create', async () => {
    const store = await ai.fileSearchStores.create({ config: { displayName: 'store' } });
    storeName = store.name ?? storeName;
    names.push(storeName);
    return store;
  });
  await step('fileSearchStores.get', () => ai.fileSearchStores.get({ name: storeName }));
  await step('fileSearchStores.list', () => collect(ai.fileSearchStores.list()));
  await step('fileSearchStores.uploadToFileSearchStore', () =>
    ai.fileSearchStores.uploadToFileSearchStore({
      fileSearchStoreName: storeName,
      file: new Blob(['a document'], { type: 'text/plain' }),
    }),
  );
  await step('fileSearchStores.importFile', () =>
    ai.fileSearchStores.importFile({ fileSearchStoreName: storeName, fileName }),
  );
  await step('fileSearchStores.documents.list', () =>
    collect(ai.fileSearchStores.documents.list({ parent: storeName })),
  );
  await step('fileSearchStores.documents.get', () =>
    ai.fileSearchStores.documents.get({ name: `${storeName}/documents/none` }),
  );
  await step('fileSearchStores.documents.delete', () =>
    ai.fileSearchStores.documents.delete({ name: `${storeName}/documents/none` }),
  );
  await step('fileSearchStores.delete', () => ai.fileSearchStores.delete({ name: storeName, config: { force: true } }));
  return steps;
}

/** The newer Interactions family (interactions, webhooks, agents, triggers, environments, credentials, voices). */
async function interactionSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  let id = 'none';
  await step('interactions.create', async () => {
    const made = await ai.interactions.create({ model: 'gemini-2.5-flash', input: 'hello' });
    id = (made as { id?: string }).id ?? id;
    return made;
  });
  await step('interactions.create (stream)', () =>
    collect(ai.interactions.create({ model: 'gemini-2.5-flash', input: 'hello', stream: true })),
  );
  await step('interactions.get', () => ai.interactions.get(id));
  await step('interactions.cancel', () => ai.interactions.cancel(id));
  await step('interactions.delete', () => ai.interactions.delete(id));
  await step('webhooks.list', () => ai.webhooks.list());
  await step('agents.list', () => ai.agents.list());
  await step('triggers.list', () => ai.triggers.list());
  await step('environments.list', () => ai.environments.list());
  await step('credentials.list', () => ai.credentials.list());
  await step('voices.list', () => ai.voices.list());
  return steps;
}

async function liveSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  steps['live.connect'] = await outcomeOf(async () => {
    const messages: LiveServerMessage[] = [];
    let turnDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (turnDone = resolve));
    const session = await ai.live.connect({
      model: 'gemini-2.0-flash-live-001',
      callbacks: {
        onmessage: (message) => {
          messages.push(message);
          if (message.serverContent?.turnComplete) turnDone();
        },
      },
    });
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'hello' }] }], turnComplete: true });
    await done;
    session.close();
    return messages
      .flatMap((message) => message.serverContent?.modelTurn?.parts ?? [])
      .map((part) => part.text)
      .join('');
  });
  // Lyria RealTime: @google/genai waits for the socket to open before it resolves, so a refused
  // upgrade is seen through onerror/onclose; the step reports how the session ended.
  steps['live.music.connect'] = await outcomeOf(
    () =>
      new Promise((resolve, reject) => {
        void ai.live.music
          .connect({
            model: 'models/lyria-realtime-exp',
            callbacks: {
              onmessage: () => undefined,
              onerror: () => reject(new Error('WebSocket error before the session opened')),
              onclose: (event) => resolve({ closed: event.code, reason: event.reason }),
            },
          })
          .then((session) => {
            // A session the upstream ends at once reports its close above; one still open after a
            // moment is closed by us.
            setTimeout(() => {
              session.close();
              resolve('open');
            }, 1_000);
          }, reject);
      }),
  );
  return steps;
}

/** Calls Gemini refuses: each must fail through the gateway exactly as it fails direct. */
async function refusedSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  await step('generateContent: no contents', () => ai.models.generateContent({ model, contents: [] }));
  // Each unknown-model call names a model of its own: a model's 404 remembered from one call to the
  // next is checked on its own in the pending findings (F1), not here.
  await step('generateContent: unknown model', () =>
    ai.models.generateContent({ model: 'gemini-0.0-none-a', contents: 'hi' }),
  );
  await step('generateContent: temperature 5', () =>
    ai.models.generateContent({ model, contents: 'hi', config: { temperature: 5 } }),
  );
  await step('generateContent: bad base64', () =>
    ai.models.generateContent({
      model,
      contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: '***' } }] }],
    }),
  );
  await step('generateContentStream: unknown model', () =>
    collect(ai.models.generateContentStream({ model: 'gemini-0.0-none-b', contents: 'hi' })),
  );
  await step('countTokens: unknown model', () => ai.models.countTokens({ model: 'gemini-0.0-none-c', contents: 'hi' }));
  await step('embedContent: generation model', () => ai.models.embedContent({ model, contents: 'hi' }));
  await step('embedContent: 101 texts', () =>
    ai.models.embedContent({ model: 'gemini-embedding-001', contents: Array.from({ length: 101 }, (_, i) => `t${i}`) }),
  );
  await step('files.get: never existed', () => ai.files.get({ name: 'files/neverexisted' }));
  await step('files.delete: never existed', () => ai.files.delete({ name: 'files/neverexisted' }));
  await step('caches.create: too small', () => ai.caches.create({ model, config: { contents: 'hi' } }));
  await step('caches.get: never existed', () => ai.caches.get({ name: 'cachedContents/neverexisted' }));
  await step('batches.get: never existed', () => ai.batches.get({ name: 'batches/neverexisted' }));
  await step('chats.sendMessage: unknown model', () =>
    ai.chats.create({ model: 'gemini-0.0-none-d' }).sendMessage({ message: 'hi' }),
  );
  return steps;
}

/** Lists read page by page (the SDK's pager follows nextPageToken). */
async function pagingSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  await step('models.list pageSize 2', async () =>
    (await collect(ai.models.list({ config: { pageSize: 2 } }))).map((model) => model.name),
  );
  const made: string[] = [];
  for (let index = 0; index < 3; index++) {
    const file = await ai.files.upload({ file: new Blob([`page ${index}`], { type: 'text/plain' }) });
    made.push(file.name!);
  }
  await step('files.list pageSize 1', async () => {
    const names = (await collect(ai.files.list({ config: { pageSize: 1 } }))).map((file) => file.name);
    // Only the count and membership can match: the two sides made different files.
    return { count: names.length, all: made.every((name) => names.includes(name)) };
  });
  for (const name of made) await ai.files.delete({ name });
  return steps;
}

/**
 * What must be equal beyond shape, per step: the emulator answers deterministically, so the same
 * call must bring the same text, tokens, vectors and model facts through the gateway.
 */
const SAME_VALUE: Record<string, (value: never) => unknown> = {
  'models.generateContent': (value: { candidates?: unknown; usageMetadata?: unknown }) => [
    value.candidates,
    value.usageMetadata,
  ],
  'models.generateContentStream': (chunks: Array<{ text?: string }>) => chunks.map((chunk) => chunk.text).join(''),
  'models.countTokens': (value: { totalTokens?: number }) => value.totalTokens,
  'models.embedContent': (value: { embeddings?: unknown }) => value.embeddings,
  'models.get': (value: { name?: string; inputTokenLimit?: number; supportedActions?: unknown }) => [
    value.name,
    value.inputTokenLimit,
    value.supportedActions,
  ],
  'models.list': (models: Array<{ name?: string }>) => models.map((model) => model.name),
  'models.list pageSize 2': (names: string[]) => names,
  'files.list pageSize 1': (value: unknown) => value,
  'chats.sendMessage': (value: { candidates?: unknown }) => value.candidates,
  'chats.sendMessageStream': (chunks: Array<{ text?: string }>) => chunks.map((chunk) => chunk.text).join(''),
  'chats.getHistory': (history: unknown) => history,
  'files.download': (value: unknown) => value,
  'caches.create': (value: { usageMetadata?: unknown; model?: string }) => [value.usageMetadata, value.model],
  'live.connect': (text: string) => text,
  'live.music.connect': (value: unknown) => value,
  'systemInstruction + temperature + stop': (value: { candidates?: unknown }) => value.candidates,
  'thinking with thoughts': (value: { candidates?: unknown; usageMetadata?: unknown }) => [
    value.candidates,
    value.usageMetadata,
  ],
  'JSON schema': (value: { candidates?: unknown }) => value.candidates,
  // The call's id is new per answer (Google's too); name and arguments must match.
  'function call (ANY)': (value: { functionCalls?: Array<{ name?: string; args?: unknown }> }) =>
    value.functionCalls?.map((call) => [call.name, call.args]),
  'function call, Gemini 3 signature round trip': (value: { candidates?: unknown }) => value.candidates,
  'candidateCount 2, streamed': (chunks: Array<{ candidates?: unknown }>) => chunks.map((chunk) => chunk.candidates),
  logprobs: (value: { candidates?: unknown }) => value.candidates,
  'googleSearch grounding': (value: { candidates?: unknown }) => value.candidates,
  'inline image': (value: { candidates?: unknown; usageMetadata?: unknown }) => [value.candidates, value.usageMetadata],
  '200 finishReason SAFETY': (value: { candidates?: unknown; usageMetadata?: unknown }) => [
    value.candidates,
    value.usageMetadata,
  ],
  '200 promptFeedback block': (value: { promptFeedback?: unknown; candidates?: unknown }) => [
    value.promptFeedback,
    value.candidates,
  ],
  '200 MAX_TOKENS': (value: { candidates?: unknown; usageMetadata?: unknown }) => [
    value.candidates,
    value.usageMetadata,
  ],
};

function mask(message: string, names: Names): string {
  let masked = message;
  for (const name of [...names].sort((a, b) => b.length - a.length)) masked = masked.split(name).join('<name>');
  return masked;
}

/** Every difference between the two runs, one line each; empty when the gateway did no harm. */
function differences(
  direct: Steps,
  gateway: Steps,
  names: { direct: Names; gateway: Names } = { direct: [], gateway: [] },
) {
  const found: string[] = [];
  expect(Object.keys(gateway)).toEqual(Object.keys(direct));
  for (const [name, left] of Object.entries(direct)) {
    const right = gateway[name]!;
    const line = `${name}: direct ${describeOutcome(left)} | gateway ${describeOutcome(right)}`;
    if ('hung' in right || 'hung' in left) {
      found.push(line);
    } else if (left.ok !== right.ok) {
      found.push(line);
    } else if (left.ok && right.ok) {
      if (JSON.stringify(left.shape) !== JSON.stringify(right.shape)) found.push(`${line} (shape)`);
      const project = SAME_VALUE[name];
      if (project && JSON.stringify(project(left.value as never)) !== JSON.stringify(project(right.value as never))) {
        found.push(`${line} (value)`);
      }
    } else if (!left.ok && !right.ok) {
      if (
        left.httpStatus !== right.httpStatus ||
        left.status !== right.status ||
        mask(left.message, names.direct) !== mask(right.message, names.gateway)
      ) {
        found.push(line);
      }
    }
  }
  return found;
}

describe('@google/genai: every method through the gateway and direct', () => {
  it('models.* and chats.*: same answers, same refusals (Vertex-only methods refused by the SDK alike)', async () => {
    const left = await modelSteps(direct());
    const right = await modelSteps(through());
    expect(left['models.generateContent']?.ok).toBe(true);
    expect(left['models.computeTokens']).toMatchObject({ ok: false, httpStatus: undefined });
    expect(differences(left, right)).toEqual([]);
  });

  it('files.*, caches.*, batches.*, operations.*, tunings.*, authTokens.*, fileSearchStores.*', async () => {
    const names = { direct: [] as Names, gateway: [] as Names };
    const left = await resourceSteps(direct(), 'direct', names.direct);
    const right = await resourceSteps(through(), 'gateway', names.gateway);
    expect(left['files.upload']?.ok && left['caches.create']?.ok && left['batches.create']?.ok).toBe(true);
    expect(differences(left, right, names)).toEqual([]);
  });

  it('interactions, webhooks, agents, triggers, environments, credentials, voices', async () => {
    expect(differences(await interactionSteps(direct()), await interactionSteps(through()))).toEqual([]);
  });

  it('live.connect (one text turn) and live.music.connect', async () => {
    const { 'live.music.connect': musicDirect, ...left } = await liveSteps(direct());
    const { 'live.music.connect': musicThrough, ...right } = await liveSteps(through());
    expect(left['live.connect']?.ok).toBe(true);
    expect(differences(left, right)).toEqual([]);
    // The emulator serves no Lyria RealTime, so direct the upgrade is refused. The gateway forwards
    // every Bidi… path (against a real upstream the session opens: sdk-genai-do-no-harm.test.ts); it
    // has accepted the client's socket before the upstream refuses, so it closes it with 1011 and
    // the upstream's refusal as the reason.
    expect(musicDirect?.ok).toBe(false);
    expect(musicThrough).toMatchObject({ ok: true, value: { closed: 1011, reason: expect.stringMatching(/404/) } });
  });

  it('refused calls fail through the gateway with the same status and message as direct', async () => {
    const left = await refusedSteps(direct());
    expect(Object.values(left).every((outcome) => !outcome.ok)).toBe(true);
    expect(differences(left, await refusedSteps(through()))).toEqual([]);
  });

  it('generateContent with options users set, and 200 answers that are blocked, cut or failing', async () => {
    const left = await variantSteps(direct());
    expect(left['thinking with thoughts']?.ok && left['function call, Gemini 3 signature round trip']?.ok).toBe(true);
    expect(differences(left, await variantSteps(through()))).toEqual([]);
  });

  it('lists read page by page', async () => {
    expect(differences(await pagingSteps(direct()), await pagingSteps(through()))).toEqual([]);
  });
});

/**
 * The methods the emulator answers 404 "Method not found." (the real API serves them), each called
 * against the stand-in upstream; `sent` is what reached the upstream during each step.
 */
async function unservedSteps(ai: GoogleGenAI, upstream: StandInUpstream) {
  const steps: Steps = {};
  const sent: Record<string, StandInRequest[]> = {};
  const step = async (name: string, call: () => Promise<unknown>) => {
    const before = upstream.requests.length;
    steps[name] = await outcomeOf(call);
    sent[name] = upstream.requests.slice(before);
  };
  const store = 'fileSearchStores/store-1';
  await step('models.list (tuned)', () => collect(ai.models.list({ config: { queryBase: false } })));
  await step('models.update', () => ai.models.update({ model: 'tunedModels/t1', config: { displayName: 'renamed' } }));
  await step('models.delete', () => ai.models.delete({ model: 'tunedModels/t1' }));
  await step('models.generateVideos', () =>
    ai.models.generateVideos({ model: 'veo-3.0-generate-001', source: { prompt: 'a lighthouse at night' } }),
  );
  await step('batches.createEmbeddings', () =>
    ai.batches.createEmbeddings({
      model: 'gemini-embedding-001',
      src: { inlinedRequests: { contents: [{ parts: [{ text: 'one' }] }] } },
    }),
  );
  await step('operations.get', () =>
    ai.operations.get({ operation: { name: 'models/veo-3.0-generate-001/operations/op1' } as never }),
  );
  await step('operations.getVideosOperation', () =>
    ai.operations.getVideosOperation({ operation: { name: 'models/veo-3.0-generate-001/operations/op1' } as never }),
  );
  await step('tunings.get', () => ai.tunings.get({ name: 'tunedModels/t1' }));
  await step('tunings.tune', () =>
    ai.tunings.tune({
      baseModel: 'models/gemini-1.5-flash-001-tuning',
      trainingDataset: { examples: [{ textInput: 'a', output: 'b' }] },
    }),
  );
  await step('tunings.cancel', () => ai.tunings.cancel({ name: 'tunedModels/t1' }));
  await step('authTokens.create', () => ai.authTokens.create({ config: { uses: 1 } }));
  await step('fileSearchStores.create', () => ai.fileSearchStores.create({ config: { displayName: 'store' } }));
  await step('fileSearchStores.get', () => ai.fileSearchStores.get({ name: store }));
  await step('fileSearchStores.list', () => collect(ai.fileSearchStores.list()));
  await step('fileSearchStores.uploadToFileSearchStore', () =>
    ai.fileSearchStores.uploadToFileSearchStore({
      fileSearchStoreName: store,
      file: new Blob(['a document'], { type: 'text/plain' }),
    }),
  );
  await step('fileSearchStores.importFile', () =>
    ai.fileSearchStores.importFile({ fileSearchStoreName: store, fileName: 'files/f1' }),
  );
  await step('fileSearchStores.documents.list', () => collect(ai.fileSearchStores.documents.list({ parent: store })));
  await step('fileSearchStores.documents.get', () =>
    ai.fileSearchStores.documents.get({ name: `${store}/documents/d1` }),
  );
  await step('fileSearchStores.documents.delete', () =>
    ai.fileSearchStores.documents.delete({ name: `${store}/documents/d1` }),
  );
  await step('fileSearchStores.delete', () => ai.fileSearchStores.delete({ name: store, config: { force: true } }));
  await step('interactions.create', () => ai.interactions.create({ model: 'gemini-2.5-flash', input: 'hello' }));
  await step('interactions.create (stream)', () =>
    collect(ai.interactions.create({ model: 'gemini-2.5-flash', input: 'hello', stream: true })),
  );
  await step('interactions.get', () => ai.interactions.get('i1'));
  await step('interactions.cancel', () => ai.interactions.cancel('i1'));
  await step('interactions.delete', () => ai.interactions.delete('i1'));
  await step('webhooks.list', () => ai.webhooks.list());
  await step('agents.list', () => ai.agents.list());
  await step('triggers.list', () => ai.triggers.list());
  await step('environments.list', () => ai.environments.list());
  await step('credentials.list', () => ai.credentials.list());
  await step('voices.list', () => ai.voices.list());
  return { steps, sent };
}

/** A request as compared: without the key, with upload session numbers masked. */
function comparable(request: StandInRequest) {
  const { key: _key, ...rest } = request;
  return { ...rest, query: rest.query.replace(/upload_id=stand-in-\d+/, 'upload_id=N') };
}

describe('@google/genai methods the emulator does not serve, against a stand-in for the real API', () => {
  let upstream: StandInUpstream;
  const standIn = useStack({
    upstream: async () => (upstream = await startStandInUpstream()),
    gateway: {
      keys: [
        { key: KEY_1, project: 'alpha' },
        { key: KEY_2, project: 'alpha' },
      ],
      maxAttempts: 3,
    },
  });

  it('reach the upstream as the same requests, with a gateway key, and come back as the same answers', async () => {
    const left = await unservedSteps(
      new GoogleGenAI({ apiKey: KEY_DIRECT, httpOptions: { baseUrl: upstream.url } }),
      upstream,
    );
    const right = await unservedSteps(
      new GoogleGenAI({ apiKey: 'client-token', httpOptions: { baseUrl: standIn.url } }),
      upstream,
    );
    expect(differences(left.steps, right.steps)).toEqual([]);
    const requestDifferences: string[] = [];
    for (const [name, requests] of Object.entries(left.sent)) {
      const through = right.sent[name] ?? [];
      if (JSON.stringify(requests.map(comparable)) !== JSON.stringify(through.map(comparable))) {
        requestDifferences.push(
          `${name}: direct ${JSON.stringify(requests.map(comparable))} | gateway ${JSON.stringify(through.map(comparable))}`,
        );
      }
      expect(requests.length, name).toBeGreaterThan(0);
    }
    expect(requestDifferences).toEqual([]);
    const keysUsed = new Set(Object.values(right.sent).flatMap((requests) => requests.map((request) => request.key)));
    expect([...keysUsed].every((key) => key === KEY_1 || key === KEY_2)).toBe(true);
  });
});

/** generateContent with the request options users set, and the 200 answers that are not a plain success. */
async function variantSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const model = 'gemini-2.5-flash';
  const weather = {
    functionDeclarations: [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ],
  };
  await step('systemInstruction + temperature + stop', () =>
    ai.models.generateContent({
      model,
      contents: 'Say hello',
      config: { systemInstruction: 'Be brief.', temperature: 0.2, topP: 0.9, stopSequences: ['zzz'], seed: 7 },
    }),
  );
  await step('thinking with thoughts', () =>
    ai.models.generateContent({
      model,
      contents: 'Think, then answer',
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } },
    }),
  );
  await step('JSON schema', () =>
    ai.models.generateContent({
      model,
      contents: 'A city and its country',
      config: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { city: { type: 'STRING' }, country: { type: 'STRING' } } },
      },
    }),
  );
  await step('function call (ANY)', () =>
    ai.models.generateContent({
      model,
      contents: 'Weather in Paris?',
      config: { tools: [weather], toolConfig: { functionCallingConfig: { mode: 'ANY' as never } } },
    }),
  );
  await step('function call, Gemini 3 signature round trip', async () => {
    const first = await ai.models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: 'Weather in Paris?',
      config: { tools: [weather], toolConfig: { functionCallingConfig: { mode: 'ANY' as never } } },
    });
    const call = first.candidates?.[0]?.content;
    return ai.models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        call!,
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }] },
      ],
      config: { tools: [weather] },
    });
  });
  await step('candidateCount 2, streamed', () =>
    collect(ai.models.generateContentStream({ model, contents: 'Two ways', config: { candidateCount: 2 } })),
  );
  await step('logprobs', () =>
    ai.models.generateContent({ model, contents: 'Hello', config: { responseLogprobs: true, logprobs: 2 } }),
  );
  await step('googleSearch grounding', () =>
    ai.models.generateContent({ model, contents: 'News today', config: { tools: [{ googleSearch: {} }] } }),
  );
  await step('inline image', () =>
    ai.models.generateContent({
      model,
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Describe' },
            { inlineData: { mimeType: 'image/png', data: Buffer.from('not really a png').toString('base64') } },
          ],
        },
      ],
    }),
  );
  await step('200 finishReason SAFETY', () => ai.models.generateContent({ model, contents: 'blockme please' }));
  await step('200 promptFeedback block', () => ai.models.generateContent({ model, contents: 'promptblock please' }));
  await step('200 MAX_TOKENS', () => ai.models.generateContent({ model, contents: 'cutme please' }));
  return steps;
}

/** Multi-turn tool use as apps write it: a chat on Gemini 3 (thought signatures kept in history) and automatic function calling. */
async function toolTurnSteps(ai: GoogleGenAI): Promise<Steps> {
  const steps: Steps = {};
  const step = async (name: string, call: () => Promise<unknown>) => (steps[name] = await outcomeOf(call));
  const weather = {
    functionDeclarations: [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ],
  };
  for (const streamed of [false, true]) {
    await step(`chat with Gemini 3 tool calls, three turns${streamed ? ', streamed' : ''}`, async () => {
      const chat = ai.chats.create({
        model: 'gemini-3-pro-preview',
        config: { tools: [weather], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } } },
      });
      const send = async (
        message: string | Array<{ functionResponse: { name: string; response: Record<string, unknown> } }>,
      ) => {
        const calls: Array<[string | undefined, unknown]> = [];
        let text = '';
        const chunks = streamed
          ? await collect(chat.sendMessageStream({ message }))
          : [await chat.sendMessage({ message })];
        for (const chunk of chunks) {
          calls.push(
            ...(chunk.functionCalls ?? []).map((call): [string | undefined, unknown] => [call.name, call.args]),
          );
          text += chunk.text ?? '';
        }
        return calls.length > 0 ? calls : text;
      };
      return {
        first: await send('Weather in Oslo?'),
        second: await send([{ functionResponse: { name: 'get_weather', response: { celsius: 3 } } }]),
        third: await send('And in Bergen?'),
        history: chat.getHistory().length,
      };
    });
  }
  const callable: CallableTool = {
    tool: () => Promise.resolve(weather),
    callTool: () => Promise.resolve([{ functionResponse: { name: 'get_weather', response: { celsius: 3 } } }]),
  };
  await step('automatic function calling', async () => {
    const answer = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Oslo? call get_weather',
      config: { tools: [callable], automaticFunctionCalling: { maximumRemoteCalls: 2 } },
    });
    return { text: answer.text, turns: answer.automaticFunctionCallingHistory?.length };
  });
  return steps;
}

describe('@google/genai: tool use over several turns through the gateway and direct', () => {
  it('chats on Gemini 3 with function calls (plain and streamed) and automatic function calling end the same', async () => {
    const left = await toolTurnSteps(direct());
    expect(Object.values(left).every((outcome) => outcome.ok)).toBe(true);
    const right = await toolTurnSteps(through());
    for (const [name, outcome] of Object.entries(left)) {
      expect(right[name], name).toEqual(outcome);
    }
  });
});

describe("@google/genai: Google's own words survive the gateway's memory and retries", () => {
  const KEY = 'key-sdk-words-0001';
  const words = useStack({
    emulator: { keys: [{ key: KEY, project: 'alpha' }], faults: [{ promptContains: 'always500', status: 500 }] },
    gateway: { keys: [{ key: KEY, project: 'alpha' }], maxAttempts: 3 },
  });
  const sides = () => [words.genai({ apiKey: KEY, baseUrl: words.emulator.url }), words.genai()];

  it("a model's 404 remembered from one call: the next call and method still get Google's message", async () => {
    const [left, right] = sides();
    for (const ai of [left!, right!]) {
      await outcomeOf(() => ai.models.generateContent({ model: 'gemini-0.0-remembered', contents: 'hi' }));
    }
    for (const call of [
      (ai: GoogleGenAI) => ai.models.countTokens({ model: 'gemini-0.0-remembered', contents: 'hi' }),
      (ai: GoogleGenAI) => collect(ai.models.generateContentStream({ model: 'gemini-0.0-remembered', contents: 'hi' })),
      (ai: GoogleGenAI) => ai.models.generateContent({ model: 'gemini-0.0-remembered', contents: 'hi' }),
    ]) {
      const direct = await outcomeOf(() => call(left!));
      expect(direct).toMatchObject({ ok: false, httpStatus: 404 });
      expect(await outcomeOf(() => call(right!))).toEqual(direct);
    }
  });

  it("a 500 that retries did not fix keeps Google's status and message", async () => {
    const [left, right] = sides();
    const call = (ai: GoogleGenAI) =>
      outcomeOf(() => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'always500 please' }));
    const direct = await call(left!);
    expect(direct).toMatchObject({ ok: false, httpStatus: 500, status: 'INTERNAL' });
    expect(await call(right!)).toEqual(direct);
  });
});
