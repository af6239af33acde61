// `gemwarden doctor`: checks each key and model with the smallest calls possible and says what is
// wrong and what to do. It makes single calls (no retries) so each verdict is the API's own answer.
// Calls go through the transport, which turns every refusal into a GeminiError at its edge, like
// every other call gemwarden makes; the doctor only reads the errors.
import {
  createGeminiError,
  explain,
  GeminiError,
  findingInAnswer,
  keyHint,
  replacementModel,
  toGeminiError,
  type ErrorKind,
} from '../errors/index.js';
import { formatPacificTime, realClock } from '../time/index.js';
import { callJson, type FetchLike } from '../transport/http-transport.js';
import { bareModelName, type GenerateContentResponse, type ListModelsResponse } from '../wire/index.js';

export interface DoctorKey {
  key: string;
  project?: string;
}

export interface DoctorOptions {
  keys: DoctorKey[];
  models: string[];
  upstream: string;
  /** Skip the one-token generateContent (only list and countTokens). */
  generate: boolean;
  timeoutMs?: number;
  fetch?: FetchLike;
}

export interface ModelVerdict {
  ok: boolean;
  kind: ErrorKind | 'ok';
  /** One line for the table. */
  result: string;
  explanation: string;
  remedies: string[];
}

export interface KeyReport {
  keyHint: string;
  project: string | null;
  models: Record<string, ModelVerdict>;
}

export interface DoctorReport {
  keys: KeyReport[];
  calls: number;
  ok: boolean;
}

const OK: ModelVerdict = {
  ok: true,
  kind: 'ok',
  result: 'ok',
  explanation: 'The key can call this model.',
  remedies: [],
};

/** Kinds that still prove the key and model work (the call was accepted, the answer was just short or filtered). */
const WORKING: ReadonlySet<string> = new Set(['truncated', 'blocked']);

const SHORT_REASONS: Record<string, string> = {
  CONSUMER_SUSPENDED: 'key or project suspended',
  SERVICE_DISABLED: 'Generative Language API disabled in the project',
  API_KEY_SERVICE_BLOCKED: 'key restricted: this API is blocked for it',
  API_KEY_HTTP_REFERRER_BLOCKED: 'key restricted to other websites',
  API_KEY_IP_ADDRESS_BLOCKED: 'key restricted to other IP addresses',
  BILLING_DISABLED: 'billing disabled on the project',
};

function verdictFor(error: GeminiError): ModelVerdict {
  const data = explain(error);
  let result = data.title;
  if (error.kind === 'quota_exhausted' && error.resetAt !== undefined)
    result = `daily quota spent: resets at ${formatPacificTime(error.resetAt)}`;
  else if (error.kind === 'quota_exhausted') result = 'no quota for this model on this tier (limit 0)';
  else if (error.kind === 'not_found') {
    const replacement = replacementModel(error.model);
    result = replacement ? `model retired: use ${replacement}` : 'model not found';
  } else if (error.reason && SHORT_REASONS[error.reason]) result = SHORT_REASONS[error.reason]!;
  else if (error.kind === 'api_key_invalid')
    result = data.situation === 'key_expired' ? 'key expired' : 'key not valid';
  else if (error.kind === 'location_unsupported') result = 'not offered in this country: billing needed';
  else if (data.situation === 'no_key_sent') result = 'no key sent';
  if (error.kind === 'rate_limited') {
    return {
      ok: true,
      kind: error.kind,
      result: 'works, but rate limited right now',
      explanation: data.explanation,
      remedies: data.remedies,
    };
  }
  if (WORKING.has(error.kind)) return { ...OK, kind: error.kind, result: `ok (${error.kind} on a one-token test)` };
  return { ok: false, kind: error.kind, result, explanation: data.explanation, remedies: data.remedies };
}

function projectFrom(error: GeminiError): string | undefined {
  const consumer = error.metadata?.consumer;
  return consumer?.startsWith('projects/') ? consumer : undefined;
}

export async function runDoctor(options: DoctorOptions, onProgress?: (line: string) => void): Promise<DoctorReport> {
  let calls = 0;
  /** One call; its JSON answer, or a rejection with the transport's GeminiError. */
  const call = async <T>(
    key: string,
    model: string | undefined,
    method: 'countTokens' | 'generateContent' | undefined,
    body?: unknown,
  ): Promise<T> => {
    calls++;
    const { value } = await callJson<T>({
      baseUrl: options.upstream,
      version: 'v1beta',
      key,
      clock: realClock,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(model && method ? { model, method, body: JSON.stringify(body) } : { path: 'models?pageSize=1000' }),
    });
    return value;
  };
  const attempt = async <T>(run: () => Promise<T>, model?: string): Promise<T | GeminiError> => {
    try {
      return await run();
    } catch (failure) {
      const error = toGeminiError(failure, model ? { model } : {});
      return model && error.model === undefined ? error.with({ model }) : error;
    }
  };

  const reports: KeyReport[] = [];
  for (const spec of options.keys) {
    const hint = keyHint(spec.key);
    onProgress?.(`checking key ${hint}…`);
    const report: KeyReport = { keyHint: hint, project: spec.project ?? null, models: {} };
    reports.push(report);
    const listed = await attempt(() => call<ListModelsResponse>(spec.key, undefined, undefined));
    if (listed instanceof GeminiError) {
      // The key itself is refused: every model has the same verdict, no more calls needed.
      report.project ??= projectFrom(listed) ?? null;
      const verdict = verdictFor(listed);
      for (const model of options.models) report.models[model] = verdict;
      continue;
    }
    const visible = new Set((listed.models ?? []).map((model) => bareModelName(model.name)));
    for (const model of options.models) {
      if (!visible.has(model)) {
        // Not in the key's list: the verdict the API's own 404 for this model would get.
        const missing = createGeminiError({
          kind: 'not_found',
          source: 'response',
          httpStatus: 404,
          status: 'NOT_FOUND',
          message: `models/${model} is not found for API version v1beta (not in this key's model list).`,
          model,
        });
        report.models[model] = verdictFor(missing);
        continue;
      }
      onProgress?.(`  ${hint} ${model}…`);
      const request = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] };
      const counted = await attempt(() => call(spec.key, model, 'countTokens', request), model);
      if (counted instanceof GeminiError) {
        report.project ??= projectFrom(counted) ?? null;
        report.models[model] = verdictFor(counted);
        continue;
      }
      if (!options.generate) {
        report.models[model] = { ...OK, result: 'ok (listed, countTokens)' };
        continue;
      }
      const generated = await attempt(async () => {
        const answer = await call<GenerateContentResponse>(spec.key, model, 'generateContent', {
          ...request,
          generationConfig: { maxOutputTokens: 1 },
        });
        const finding = findingInAnswer(answer, { model });
        // One output token is asked for on purpose: a thinking model spends it thinking and stops at
        // MAX_TOKENS with no text, which still proves the key can generate with this model.
        if (finding && finding.kind !== 'truncated') throw finding;
        return answer;
      }, model);
      if (generated instanceof GeminiError) {
        report.project ??= projectFrom(generated) ?? null;
        report.models[model] = verdictFor(generated);
      } else {
        report.models[model] = OK;
      }
    }
  }
  const ok =
    reports.length > 0 && reports.every((report) => Object.values(report.models).some((verdict) => verdict.ok));
  return { keys: reports, calls, ok };
}
