// createClient(): the library facade. Every call runs through the pipeline, which applies the
// remedies; the client only knows how to make one attempt of each kind of call.
import { findingInAnswer, type AttemptRecord, type GeminiError } from '../errors/index.js';
import { estimateRequestTokens } from '../pacing/estimate.js';
import { GeminiPacer, type Pacer, type PairSnapshot } from '../pacing/pacer.js';
import { REAL_DAY_MS } from '../pacing/store.js';
import { withAnswer } from '../pipeline/answers.js';
import { Engine, type AttemptInput, type CallSpec } from '../pipeline/engine.js';
import { PipelineEmitter, type PipelineEventName, type PipelineEvents } from '../pipeline/events.js';
import { KeyPool, resolvePolicy, type CircuitSnapshot, type KeyOutage } from '../policy/index.js';
import { KeyProber } from '../pipeline/key-prober.js';
import { FleetSync, RedisFleetStore, type FleetSnapshot } from '../fleet/index.js';
import { hostname } from 'node:os';
import { realClock } from '../time/index.js';
import { callJson, openStream, type TransportCall } from '../transport/http-transport.js';
import { upstreamPool } from '../transport/upstream-pool.js';
import {
  bareModelName,
  normaliseFieldNames,
  responseText,
  type CountTokensResponse,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type ListModelsResponse,
  type ModelInfo,
} from '../wire/index.js';
import { checkClientOptions, type CallOptions, type CheckedClientOptions, type ClientOptions } from './options.js';
import { GeminiStream } from './stream.js';
import { ModelRepairMemory, type StreamRepairMode } from '../pipeline/stream-repair/index.js';
import { streamRepairTransform } from './repairing-stream.js';

export interface GenerateResult {
  response: GenerateContentResponse;
  /** The model that answered (a fallback when the requested one failed). */
  model: string;
  attempts: AttemptRecord[];
  /** The answer's text (thoughts excluded). */
  text: string;
  /**
   * Only with `answerChecks: 'report'`: what gemwarden found wrong with `response` (kind `blocked`,
   * `truncated`, `malformed_response`), which is returned as Gemini sent it instead of thrown.
   */
  finding?: GeminiError;
  /**
   * Gemini's own JSON text of `response`, as it arrived (the gateway hands it on rather than
   * serialising `response` again). Absent when `response` was not read from one answer's text.
   */
  responseText?: string;
}

/** The text each parsed generateContent answer was read from, by identity (see `responseText`). */
const answerTexts = new WeakMap<object, string>();

/** The body of batchEmbedContents: one EmbedContentRequest per text (`model` is `models/{id}`). */
export interface BatchEmbedContentsBody {
  requests: Array<{
    model: string;
    content: { parts: Array<{ text?: string }> };
    taskType?: string;
    title?: string;
    outputDimensionality?: number;
  }>;
}

/** The answer of batchEmbedContents: one embedding per request, in order. */
export interface BatchEmbedContentsAnswer {
  embeddings?: Array<{ values?: number[] }>;
  usageMetadata?: { promptTokenCount?: number; totalTokenCount?: number };
}

export interface ClientSnapshot {
  keys: ReturnType<KeyPool['snapshot']>['keys'];
  /** Parked and cooling (project, model) pairs, read from the key pool (the one holder of parks). */
  pairs: ReturnType<KeyPool['snapshot']>['pairs'];
  circuits: CircuitSnapshot[];
  droppedModels: Record<string, string>;
  retryBudget: ReturnType<Engine['budget']['snapshot']>;
  pacing: PairSnapshot[];
  pacingStore: 'memory' | 'redis' | 'custom';
  /** Fleet state: shared through Redis or local, this instance's name, who changed what last. */
  fleet: FleetSnapshot | { state: 'off'; instanceId: string; shares: []; writers: [] };
}

export class GeminiClient {
  readonly events = new PipelineEmitter();
  readonly keys: KeyPool;
  private readonly engine: Engine;
  /** The client's mid-stream repair mode (per-call options override it). */
  get streamRepairMode(): StreamRepairMode {
    return this.options.streamRepair ?? 'off';
  }

  /** What stream repairs learned about each model (prefill refused, anchor ignored). */
  private readonly repairMemory = new ModelRepairMemory();
  readonly pacer: Pacer;
  private readonly transportBase: Pick<
    TransportCall,
    'baseUrl' | 'version' | 'fetch' | 'clock' | 'pool' | 'quotaDayMs'
  >;

  /** The options, checked and with every default filled (see client/options.ts). */
  private readonly options: CheckedClientOptions;

  /** Throws an InvalidOptionsError naming every bad option (see checkClientOptions). */
  constructor(given: ClientOptions) {
    const options = (this.options = checkClientOptions(given));
    const clock = options.clock ?? realClock;
    this.keys = new KeyPool(options.keys, {
      ...(options.keyProbe ? { probe: options.keyProbe } : {}),
      now: () => clock.now(),
    });
    if (this.keys.keys.length === 0) throw new TypeError('createClient needs at least one API key (keys: ["…"])');
    const windows = options.quotaWindows;
    const tiers = Object.fromEntries(this.keys.keys.filter((key) => key.tier).map((key) => [key.project, key.tier!]));
    this.pacer =
      options.pacer ??
      new GeminiPacer({
        ...(options.limits ? { limits: options.limits } : {}),
        tiers,
        ...(windows ? { quotaWindows: windows } : {}),
        ...(options.redis ? { redis: options.redis } : {}),
        onEvent: (event) => {
          if (event.type === 'pacing-degraded') this.events.emit('pacing-degraded', { reason: event.reason });
          else if (event.type === 'pacing-restored') this.events.emit('pacing-restored', {});
          else
            this.events.emit('limit-learned', {
              project: event.project,
              model: event.model,
              window: event.window,
              limit: event.limit,
            });
        },
      });
    this.engine = new Engine({
      keys: this.keys,
      policy: resolvePolicy(options),
      rules: options.rules ?? {},
      clock,
      pacer: this.pacer,
      events: this.events,
    });
    this.transportBase = {
      baseUrl: options.baseUrl,
      version: options.apiVersion,
      ...(options.fetch ? { fetch: options.fetch } : { pool: upstreamPool(options.upstreamConnections) }),
      clock,
      ...(windows?.dayMs !== undefined && windows.dayMs !== REAL_DAY_MS ? { quotaDayMs: windows.dayMs } : {}),
    };
    const fleetStore = options.fleetStore ?? (options.redis ? new RedisFleetStore({ url: options.redis }) : undefined);
    this.fleet = fleetStore
      ? new FleetSync({
          store: fleetStore,
          keys: this.keys,
          health: this.engine.health,
          clock,
          events: this.events,
          instanceId: this.instanceId,
          circuitCooldownMs: this.engine.options.policy.breaker.cooldownMs,
        })
      : undefined;
    this.prober = new KeyProber({
      keys: this.keys,
      clock,
      events: this.events,
      probe: (outage, signal) => this.probeKey(outage, signal),
      ...(this.fleet ? { coordinator: this.fleet } : {}),
    });
  }

  /** This process's name in shared state (options.instanceId, or hostname:pid). */
  get instanceId(): string {
    return this.options.instanceId ?? `${hostname()}:${process.pid}`;
  }

  /** Fleet state shared through Redis (undefined without `redis`): see src/fleet/. */
  readonly fleet: FleetSync | undefined;

  /** Probes keys that are out and puts them back when healthy (see pipeline/key-prober.ts). */
  readonly prober: KeyProber;

  /**
   * The probe of a key that is out, a call that costs no generation quota: for a whole key,
   * models.get of the model whose call took it out (models.list when none), which checks the key
   * and its project; for a key out for one model, countTokens on that model, which checks access
   * to the model (Gemini API reference: models.get, models.countTokens; token counting is not
   * billed and does not draw on generation quota).
   */
  private async probeKey(outage: KeyOutage, signal: AbortSignal): Promise<void> {
    const base = { ...this.transportBase, key: outage.key.key, timeoutMs: this.keys.probe.timeoutMs, signal };
    if (outage.model) {
      const body = { contents: [{ role: 'user', parts: [{ text: 'ping' }] }] };
      await callJson({ ...base, model: outage.model, method: 'countTokens', body: JSON.stringify(body) });
      return;
    }
    const path = outage.seenOn ? `models/${encodeURIComponent(outage.seenOn)}` : 'models?pageSize=1';
    await callJson({ ...base, path });
  }

  /** Releases what the client holds (the Redis connection of shared pacing). */
  async close(): Promise<void> {
    this.prober.close();
    await this.fleet?.close();
    await this.pacer.close();
  }

  on<E extends PipelineEventName>(event: E, handler: (payload: PipelineEvents[E]) => void): () => void {
    return this.events.on(event, handler);
  }

  off<E extends PipelineEventName>(event: E, handler: (payload: PipelineEvents[E]) => void): void {
    this.events.off(event, handler);
  }

  private fallbacksFor(model: string, options: CallOptions): readonly string[] {
    return (options.fallbacks ?? this.options.fallbacks?.[model] ?? []).map(bareModelName);
  }

  private spec<T>(
    model: string,
    request: GenerateContentRequest,
    options: CallOptions & { keepAnswers?: boolean },
    paced: boolean,
    attempt: CallSpec<T>['attempt'],
  ): CallSpec<T> {
    const shrink = options.shrink ?? this.options.shrink;
    return {
      model: bareModelName(model),
      fallbacks: this.fallbacksFor(bareModelName(model), options),
      request,
      attempt,
      tokens: estimateRequestTokens(request),
      paced,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      ...(options.endBy !== undefined ? { endBy: options.endBy } : {}),
      ...(shrink ? { shrink } : {}),
      ...(options.keepAnswers ? { keepAnswers: true } : {}),
    };
  }

  /**
   * The transport call of one attempt: the attempt's model, key, time limits and the caller's
   * signal, with the call's API version (else the client's). A streamed attempt (`alt`) is limited
   * until its first chunk by `firstChunkMs` and tells the server only what is left of the whole
   * call's deadline, if it has one.
   */
  private transportCall(
    input: AttemptInput,
    options: CallOptions,
    method: TransportCall['method'],
    body?: unknown,
    alt?: 'sse',
    bodyText?: string,
  ): TransportCall {
    const serverTimeoutSeconds = alt ? input.streamServerTimeoutSeconds : input.serverTimeoutSeconds;
    return {
      ...this.transportBase,
      ...(options.apiVersion ? { version: options.apiVersion } : {}),
      model: input.model,
      ...(method ? { method } : {}),
      key: input.key.key,
      ...(bodyText !== undefined ? { body: bodyText } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(alt ? { alt } : {}),
      timeoutMs: alt ? input.firstChunkMs : input.timeoutMs,
      ...(serverTimeoutSeconds !== undefined ? { serverTimeoutSeconds } : {}),
      startBy: input.startBy,
      ...(alt ? { idleMs: input.idleMs, ...(input.endBy !== undefined ? { endBy: input.endBy } : {}) } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    };
  }

  /**
   * For each attempt of a call, the caller's own text of the request (`options.requestText`) when
   * the attempt sends that request unchanged: the requested model, not shrunk, and normalising the
   * field names changed nothing. Undefined otherwise (the attempt serialises its request).
   */
  private sentAsIs(
    model: string,
    request: GenerateContentRequest,
    normalised: GenerateContentRequest,
    options: CallOptions,
  ): (input: AttemptInput) => string | undefined {
    const text = options.requestText;
    if (text === undefined || !unchangedByNormalising(request, normalised)) return () => undefined;
    const requested = bareModelName(model);
    return (input) => (input.request === normalised && input.model === requested ? text : undefined);
  }

  private context(input: AttemptInput) {
    return { model: input.model, keyHint: input.key.hint, secrets: [input.key.key] };
  }

  /** generateContent with every remedy: retries, key rotation, model fallback, shrinking, pacing. */
  async generateContent(
    model: string,
    request: GenerateContentRequest,
    options: CallOptions = {},
  ): Promise<GenerateResult> {
    const normalised = normaliseFieldNames(request, 'GenerateContentRequest');
    const expectJson = normalised.generationConfig?.responseMimeType === 'application/json';
    const report = (options.answerChecks ?? this.options.answerChecks) === 'report';
    const asSent = this.sentAsIs(model, request, normalised, options);
    const result = await this.engine.run(
      this.spec<GenerateContentResponse>(
        model,
        normalised,
        { ...options, keepAnswers: report },
        true,
        async (input) => {
          const { value: body, text } = await callJson<GenerateContentResponse>(
            this.transportCall(input, options, 'generateContent', input.request, undefined, asSent(input)),
          );
          if (typeof body === 'object' && body !== null) answerTexts.set(body, text);
          const finding = findingInAnswer(body, { ...this.context(input), expectJson });
          if (finding) throw report ? withAnswer(finding, body) : finding;
          return {
            value: body,
            ...(body.usageMetadata?.promptTokenCount !== undefined
              ? { inputTokens: body.usageMetadata.promptTokenCount }
              : {}),
          };
        },
      ),
    );
    return {
      response: result.value,
      model: result.model,
      attempts: result.attempts,
      ...(result.finding ? { finding: result.finding } : {}),
      text: responseText(result.value),
      ...(answerTexts.has(result.value) ? { responseText: answerTexts.get(result.value)! } : {}),
    };
  }

  /**
   * streamGenerateContent: retries and fallbacks happen until the first chunk reaches the caller;
   * after that a failure ends the stream with a GeminiError carrying the partial text.
   */
  generateContentStream(model: string, request: GenerateContentRequest, options: CallOptions = {}): GeminiStream {
    const normalised = normaliseFieldNames(request, 'GenerateContentRequest');
    // The end of the whole call is fixed here, so a repair's new stream keeps the same deadline.
    const { requestMs } = this.engine.options.policy.timeout;
    const endBy = options.endBy ?? (requestMs !== undefined ? this.transportBase.clock.now() + requestMs : undefined);
    options = endBy !== undefined ? { ...options, endBy } : options;
    const answerChecks = options.answerChecks ?? this.options.answerChecks ?? 'throw';
    const asSent = this.sentAsIs(model, request, normalised, options);
    const transform = streamRepairTransform({
      mode: options.streamRepair ?? this.options.streamRepair ?? 'off',
      model,
      request: normalised,
      // A repair sends a request of its own: the caller's text no longer says what is sent.
      reopen: (again) =>
        this.generateContentStream(model, again, { ...options, streamRepair: 'off', requestText: undefined }),
      memory: this.repairMemory,
      events: this.events,
      onFinding: (finding) => (stream.finding ??= finding),
    });
    const stream: GeminiStream = new GeminiStream(
      (attempt) =>
        this.engine.run(
          this.spec(model, normalised, { ...options, keepAnswers: answerChecks === 'report' }, true, attempt),
        ),
      (input) =>
        openStream(this.transportCall(input, options, 'streamGenerateContent', input.request, 'sse', asSent(input))),
      (input) => this.context(input),
      { answerChecks, ...(transform ? { transform } : {}) },
    );
    return stream;
  }

  async countTokens(
    model: string,
    request: GenerateContentRequest | { contents: GenerateContentRequest['contents'] },
    options: CallOptions = {},
  ): Promise<CountTokensResponse> {
    const body = normaliseFieldNames(request as GenerateContentRequest, 'GenerateContentRequest');
    const result = await this.engine.run(
      this.spec<CountTokensResponse>(model, body, { ...options, fallbacks: [] }, false, async (input) => {
        const countBody =
          body.generationConfig || body.systemInstruction || body.tools
            ? { generateContentRequest: { ...body, model: `models/${input.model}` } }
            : { contents: body.contents };
        return callJson<CountTokensResponse>(this.transportCall(input, options, 'countTokens', countBody));
      }),
    );
    return result.value;
  }

  /** The models the first healthy key can see (all pages). */
  async listModels(options: CallOptions = {}): Promise<ModelInfo[]> {
    const result = await this.engine.run(
      this.spec<ModelInfo[]>('(list-models)', { contents: [] }, { ...options, fallbacks: [] }, false, async (input) => {
        const models: ModelInfo[] = [];
        let pageToken: string | undefined;
        do {
          const { value: page } = await callJson<ListModelsResponse>({
            ...this.transportBase,
            key: input.key.key,
            path: `models?pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
            timeoutMs: input.timeoutMs,
            startBy: input.startBy,
            ...(input.signal ? { signal: input.signal } : {}),
          });
          models.push(...(page.models ?? []));
          pageToken = page.nextPageToken;
        } while (pageToken);
        return { value: models };
      }),
    );
    return result.value;
  }

  /**
   * batchEmbedContents (ai.google.dev/api/embeddings) with the remedies that keep the same vectors:
   * retries, key rotation and pacing against the embedding model's own quota, but never a fallback
   * model (vectors of different models do not mix). `body` is the REST body `{ requests: [...] }`.
   */
  async batchEmbedContents(
    model: string,
    body: BatchEmbedContentsBody,
    options: CallOptions = {},
  ): Promise<{ response: BatchEmbedContentsAnswer; model: string; attempts: AttemptRecord[] }> {
    const texts = body.requests.flatMap((entry) => entry.content?.parts ?? []);
    const result = await this.engine.run(
      this.spec<BatchEmbedContentsAnswer>(
        model,
        { contents: [{ role: 'user', parts: texts }] },
        { ...options, fallbacks: [] },
        true,
        async (input) => {
          return callJson<BatchEmbedContentsAnswer>({
            ...this.transportBase,
            model: input.model,
            key: input.key.key,
            path: `models/${encodeURIComponent(input.model)}:batchEmbedContents`,
            body: JSON.stringify(body),
            timeoutMs: input.timeoutMs,
            startBy: input.startBy,
            ...(input.signal ? { signal: input.signal } : {}),
          });
        },
      ),
    );
    return { response: result.value, model: result.model, attempts: result.attempts };
  }

  /** Keys, parked and cooling projects, circuits, pacing: for metrics and the status page. */
  async snapshot(): Promise<ClientSnapshot> {
    const now = this.transportBase.clock.now();
    const pool = this.keys.snapshot(now);
    return {
      pacing: await this.pacer.snapshot(now),
      pacingStore: this.pacer instanceof GeminiPacer ? this.pacer.storeKind : 'custom',
      keys: pool.keys,
      pairs: pool.pairs,
      circuits: this.engine.health.circuits(now).filter((circuit) => circuit.model !== '(list-models)'),
      droppedModels: this.engine.health.droppedModels(),
      retryBudget: this.engine.budget.snapshot(now),
      fleet: this.fleet?.snapshot() ?? { state: 'off', instanceId: this.instanceId, shares: [], writers: [] },
    };
  }
}

export function createClient(options: ClientOptions): GeminiClient {
  return new GeminiClient(options);
}

/**
 * True when `normalised` (normaliseFieldNames of `original`) has the same keys in the same order
 * and the same leaf values all the way down: no field was renamed to camelCase and no single value
 * wrapped in a list, so the caller's JSON text of `original` says exactly what `normalised` says.
 */
function unchangedByNormalising(original: unknown, normalised: unknown): boolean {
  if (original === normalised) return true;
  if (typeof original !== 'object' || original === null || typeof normalised !== 'object' || normalised === null)
    return false;
  if (Array.isArray(original) !== Array.isArray(normalised)) return false;
  const before = Object.keys(original);
  const after = Object.keys(normalised);
  if (before.length !== after.length) return false;
  for (let index = 0; index < before.length; index += 1) {
    const key = before[index]!;
    if (key !== after[index]) return false;
    if (
      !unchangedByNormalising((original as Record<string, unknown>)[key], (normalised as Record<string, unknown>)[key])
    )
      return false;
  }
  return true;
}
