// Batch Mode as Google serves it: models/{model}:batchGenerateContent (and :asyncBatchEmbedContent
// for embeddings) with inline requests or a JSONL input file, a long-running batch whose state advances on the emulated clock (PENDING → RUNNING →
// SUCCEEDED), results inline or as a JSONL output file, list, cancel and delete. Each batch belongs to
// the creating project. The answers come from the emulator's own generate route with the creator's
// key, so they equal direct calls (and faults or quotas show up per request, as in real batches).
// Source: https://ai.google.dev/api/batch-mode and https://ai.google.dev/gemini-api/docs/batch-mode
import { createHash } from 'node:crypto';
import type { ApiVersion } from '../../wire/index.js';
import { bodies } from '../bodies.js';
import type { KeyRecord } from '../state.js';
import type { ResourceCaller, ResourceContext } from './context.js';
import { FileStore, fileForbidden } from './files.js';
import {
  errorResponse,
  field,
  googleError,
  isObject,
  jsonResponse,
  newResourceId,
  paginate,
  readJson,
  timestamp,
} from './http.js';

/** What a batch runs per request: generation, or embeddings (asyncBatchEmbedContent). */
export type BatchKind = 'generate' | 'embed';
const KINDS: Record<
  BatchKind,
  { method: string; rpc: string; request: string; metadataType: string; outputType: string }
> = {
  generate: {
    method: 'generateContent',
    rpc: 'batchGenerateContent',
    request: 'BatchGenerateContentRequest',
    metadataType: 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
    outputType: 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput',
  },
  embed: {
    method: 'embedContent',
    rpc: 'asyncBatchEmbedContent',
    request: 'AsyncBatchEmbedContentRequest',
    metadataType: 'type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatch',
    outputType: 'type.googleapis.com/google.ai.generativelanguage.v1main.EmbedContentBatchOutput',
  },
};
/** Emulated seconds a batch waits before it runs, and runs before it is done. */
const PENDING_SECONDS = 1;
const RUNNING_SECONDS = 4;

type BatchState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED';

interface BatchItem {
  key?: string;
  metadata?: unknown;
  request: Record<string, unknown>;
}

interface StoredBatch {
  id: string;
  kind: BatchKind;
  owner: KeyRecord;
  model: string;
  version: ApiVersion;
  displayName?: string;
  items: BatchItem[];
  fromFile: boolean;
  createdAt: number;
  cancelled?: number;
  finishedAt?: number;
  output?: Record<string, unknown>;
  failures: number;
  running?: Promise<void>;
}

export function batchNotFound(): Response {
  return googleError('NOT_FOUND', 'Requested entity was not found.');
}

export class BatchStore {
  private batches = new Map<string, StoredBatch>();

  constructor(
    private readonly context: ResourceContext,
    private readonly files: FileStore,
  ) {}

  private second(): number {
    return this.context.minuteMs() / 60;
  }

  private state(batch: StoredBatch, now: number): BatchState {
    if (batch.cancelled !== undefined) return 'BATCH_STATE_CANCELLED';
    if (batch.output) return 'BATCH_STATE_SUCCEEDED';
    if (now < batch.createdAt + PENDING_SECONDS * this.second()) return 'BATCH_STATE_PENDING';
    return 'BATCH_STATE_RUNNING';
  }

  /** Runs the batch's requests once its running time is over (lazily, on the next read). */
  private async settle(batch: StoredBatch, origin: string): Promise<void> {
    const now = this.context.now();
    if (batch.output || batch.cancelled !== undefined) return;
    if (now < batch.createdAt + (PENDING_SECONDS + RUNNING_SECONDS) * this.second()) return;
    batch.running ??= this.run(batch, origin);
    await batch.running;
  }

  private async run(batch: StoredBatch, origin: string): Promise<void> {
    const results: Array<Record<string, unknown>> = [];
    for (const item of batch.items) {
      const answer = await this.context.dispatch(
        new Request(`${origin}/${batch.version}/models/${batch.model}:${KINDS[batch.kind].method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-goog-api-key': batch.owner.key },
          body: JSON.stringify(item.request),
        }),
      );
      const value = (await answer.json().catch(() => ({}))) as Record<string, unknown>;
      const label = batch.fromFile ? { key: item.key } : item.metadata !== undefined ? { metadata: item.metadata } : {};
      if (answer.status === 200) results.push({ ...label, response: value });
      else {
        batch.failures++;
        results.push({ ...label, error: isObject(value.error) ? value.error : { code: answer.status } });
      }
    }
    batch.finishedAt = this.context.now();
    if (batch.fromFile) {
      const bytes = Buffer.from(results.map((line) => JSON.stringify(line)).join('\n') + '\n');
      const file = this.files.add(
        {
          id: `batch-${batch.id}`,
          project: batch.owner.project,
          mimeType: 'application/jsonl',
          sizeBytes: bytes.byteLength,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          bytes,
          source: 'GENERATED',
        },
        origin,
      );
      batch.output = { responsesFile: `files/${file.id}` };
    } else {
      batch.output = { inlinedResponses: { inlinedResponses: results } };
    }
  }

  private toWire(batch: StoredBatch, now: number): Record<string, unknown> {
    const state = this.state(batch, now);
    const done = state === 'BATCH_STATE_SUCCEEDED' || state === 'BATCH_STATE_CANCELLED';
    const count = batch.items.length;
    const updated = batch.finishedAt ?? batch.cancelled ?? batch.createdAt;
    const metadata: Record<string, unknown> = {
      '@type': KINDS[batch.kind].metadataType,
      model: `models/${batch.model}`,
      ...(batch.displayName ? { displayName: batch.displayName } : {}),
      createTime: timestamp(batch.createdAt),
      updateTime: timestamp(updated),
      ...(done ? { endTime: timestamp(updated) } : {}),
      batchStats: {
        requestCount: String(count),
        ...(state === 'BATCH_STATE_SUCCEEDED'
          ? {
              successfulRequestCount: String(count - batch.failures),
              ...(batch.failures ? { failedRequestCount: String(batch.failures) } : {}),
            }
          : { pendingRequestCount: String(count) }),
      },
      state,
      name: `batches/${batch.id}`,
      ...(batch.output ? { output: batch.output } : {}),
    };
    return {
      name: `batches/${batch.id}`,
      metadata,
      ...(done ? { done: true } : {}),
      ...(batch.output ? { response: { '@type': KINDS[batch.kind].outputType, ...batch.output } } : {}),
    };
  }

  /**
   * POST /{version}/models/{model}:batchGenerateContent, or :asyncBatchEmbedContent (`kind` 'embed';
   * `knownModel` says whether the model serves that kind).
   */
  async create(
    caller: ResourceCaller,
    request: Request,
    version: ApiVersion,
    model: string,
    kind: BatchKind = 'generate',
    knownModel = this.context.state.models.has(model),
  ): Promise<Response> {
    const { rpc, request: requestName } = KINDS[kind];
    if (!knownModel) return errorResponse(bodies.modelNotFound(model, version, rpc));
    const parsed = await readJson(request);
    if ('error' in parsed) return parsed.error;
    const batchField = parsed.value.batch;
    const batch = isObject(batchField) ? batchField : undefined;
    const input = batch ? field(batch, 'inputConfig') : undefined;
    if (!isObject(input)) {
      return errorResponse(
        bodies.invalidArgument(`* ${requestName}.batch.input_config: input_config is not specified\n`),
      );
    }
    const items: BatchItem[] = [];
    const fileName = field(input, 'fileName');
    const inline = field(input, 'requests');
    if (typeof fileName === 'string') {
      const id = fileName.replace(/^files\//, '');
      this.context.countResource(`files/${id}`, caller.key.project);
      const file = this.files.visible(id, caller.key.project);
      if (!file) return fileForbidden(id);
      for (const [index, line] of (file.bytes?.toString('utf8') ?? '').split('\n').entries()) {
        if (!line.trim()) continue;
        try {
          const value: unknown = JSON.parse(line);
          if (!isObject(value) || !isObject(value.request)) throw new Error('no request');
          items.push({ ...(typeof value.key === 'string' ? { key: value.key } : {}), request: value.request });
        } catch {
          return errorResponse(
            bodies.invalidArgument(`Line ${index + 1} of the input file is not a JSON object with a request.`),
          );
        }
      }
    } else if (isObject(inline) && Array.isArray(inline.requests)) {
      for (const entry of inline.requests) {
        if (!isObject(entry) || !isObject(entry.request)) {
          return errorResponse(
            bodies.invalidArgument(
              `* ${requestName}.batch.input_config.requests.requests: each entry needs a request\n`,
            ),
          );
        }
        items.push({ request: entry.request, ...(entry.metadata !== undefined ? { metadata: entry.metadata } : {}) });
      }
    }
    if (items.length === 0) {
      return errorResponse(bodies.invalidArgument(`* ${requestName}.batch.input_config: the batch has no requests\n`));
    }
    const displayName = batch ? field(batch, 'displayName') : undefined;
    const stored: StoredBatch = {
      id: newResourceId(20),
      kind,
      owner: caller.key,
      model,
      version,
      ...(typeof displayName === 'string' ? { displayName } : {}),
      items,
      fromFile: typeof fileName === 'string',
      createdAt: this.context.now(),
      failures: 0,
    };
    this.batches.set(stored.id, stored);
    this.context.countResource(`batches/${stored.id}`, caller.key.project);
    return jsonResponse(this.toWire(stored, stored.createdAt));
  }

  /** /{version}/batches[/{id}[:cancel]] */
  async handle(caller: ResourceCaller, request: Request, url: URL, rest: string): Promise<Response> {
    const project = caller.key.project;
    if (rest === '') {
      if (request.method !== 'GET') return errorResponse(bodies.methodNotFound());
      const mine = [...this.batches.values()]
        .filter((batch) => batch.owner.project === project)
        .sort((a, b) => b.createdAt - a.createdAt);
      const { page, nextPageToken } = paginate(mine, url, 10, 100);
      for (const batch of page) await this.settle(batch, url.origin);
      const now = this.context.now();
      return jsonResponse({
        ...(page.length > 0 ? { operations: page.map((batch) => this.toWire(batch, now)) } : {}),
        ...(nextPageToken ? { nextPageToken } : {}),
      });
    }
    const [id = '', verb] = rest.split(':');
    this.context.countResource(`batches/${id}`, project);
    const batch = this.batches.get(id);
    if (!batch || batch.owner.project !== project) return batchNotFound();
    if (verb === 'cancel') {
      if (request.method !== 'POST') return errorResponse(bodies.methodNotFound());
      if (!batch.output) batch.cancelled ??= this.context.now();
      return jsonResponse({});
    }
    if (verb !== undefined) return errorResponse(bodies.methodNotFound());
    if (request.method === 'DELETE') {
      this.batches.delete(id);
      return jsonResponse({});
    }
    if (request.method !== 'GET') return errorResponse(bodies.methodNotFound());
    await this.settle(batch, url.origin);
    return jsonResponse(this.toWire(batch, this.context.now()));
  }
}
