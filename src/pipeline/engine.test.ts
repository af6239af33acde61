// The engine on a fake clock with scripted attempts and no sockets: each test reads as the stream
// of events one call produced, one row of the README's policy table at a time.
import { describe, expect, it } from 'vitest';
import { createGeminiError, type ErrorKind, type GeminiError, type GeminiErrorInit } from '../errors/index.js';
import { unlimitedPacer, type Pacer, type Reservation } from '../pacing/pacer.js';
import { KeyPool, resolvePolicy, validatePolicy, type KeySpec, type PolicyOverrides } from '../policy/index.js';
import { FakeClock } from '../time/index.js';
import type { GenerateContentRequest } from '../wire/index.js';
import { Engine, type AttemptInput, type CallSpec } from './engine.js';
import { PipelineEmitter, type PipelineEventName, type PipelineEvents } from './events.js';

const START = Date.UTC(2026, 0, 5, 12, 0, 0);
const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';
const KEY_A = 'AIzaSyProjectA-000000000aaaa';
const KEY_B = 'AIzaSyProjectB-000000000bbbb';
const REQUEST: GenerateContentRequest = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

function failure(kind: ErrorKind, extra: Partial<GeminiErrorInit> = {}): GeminiError {
  return createGeminiError({ kind, source: 'http', message: `scripted ${kind}`, ...extra });
}

/** One scripted outcome: 'ok', an error to throw, or a function of the attempt's input. */
type Step = 'ok' | GeminiError | ((input: AttemptInput) => 'ok' | GeminiError);

/** Each event as one short line, so a call reads as a table. Delays that jitter are left out. */
function line<E extends PipelineEventName>(name: E, payload: PipelineEvents[E], start: number): string | undefined {
  const p = payload as Record<string, string | number | undefined>;
  switch (name) {
    case 'attempt-failed':
      return `failed ${p.model} ${p.keyHint} ${p.kind} → ${p.action}`;
    case 'attempt-succeeded':
      return `ok ${p.model} ${p.keyHint}`;
    case 'retry-scheduled':
      return `retry-scheduled ${p.model}`;
    case 'model-fallback':
      return `fallback ${p.from} → ${p.to} (${p.reason})`;
    case 'key-disabled':
      return `key-out ${p.keyHint}${p.model ? ` for ${p.model}` : ''} (${p.reason})`;
    case 'key-parked':
      return `parked ${p.project}/${p.model} (${p.reason})`;
    case 'circuit-opened':
      return `circuit-open ${p.model}`;
    case 'circuit-closed':
      return `circuit-closed ${p.model}`;
    case 'wait-started':
      if (p.reason === 'backoff') return `wait backoff ${p.project}/${p.model}`; // jittered
      return `wait ${p.reason} ${p.project}/${p.model} until +${Number(p.until) - start} ms`;
    case 'request-succeeded':
      return `done by ${p.model} after ${p.attempts}`;
    case 'request-failed':
      return `gave up: ${p.kind} after ${p.attempts}`;
    default:
      return undefined; // quota-waited repeats wait-started; pacing events are the pacer's
  }
}

const EVENT_NAMES: PipelineEventName[] = [
  'attempt-failed',
  'attempt-succeeded',
  'retry-scheduled',
  'model-fallback',
  'key-disabled',
  'key-parked',
  'circuit-opened',
  'circuit-closed',
  'wait-started',
  'request-succeeded',
  'request-failed',
];

interface Setup {
  keys?: Array<string | KeySpec>;
  policy?: PolicyOverrides;
  pacer?: Pacer;
}

function setup({ keys = [{ key: KEY_A, project: 'A' }], policy = {}, pacer = unlimitedPacer }: Setup = {}) {
  const clock = new FakeClock(START, 7);
  const events = new PipelineEmitter();
  const lines: string[] = [];
  const reasons: string[] = [];
  for (const name of EVENT_NAMES)
    events.on(name, (payload) => {
      const text = line(name, payload, clock.now());
      if (text) lines.push(text);
      if (name === 'attempt-failed') reasons.push((payload as PipelineEvents['attempt-failed']).reason);
    });
  const pool = new KeyPool(keys);
  const engine = new Engine({
    keys: pool,
    policy: validatePolicy(resolvePolicy({ retryBudget: false, ...policy })),
    rules: {},
    clock,
    pacer,
    events,
  });
  const inputs: AttemptInput[] = [];

  /** Runs one call with `script` answering attempts in order, moving the fake clock until it ends. */
  async function call(script: Step[], extra: Partial<CallSpec<string>> = {}) {
    lines.length = 0;
    const steps = [...script];
    const spec: CallSpec<string> = {
      model: PRO,
      fallbacks: [],
      request: REQUEST,
      tokens: 10,
      paced: true,
      attempt: async (input) => {
        inputs.push(input);
        const step = steps.shift() ?? failure('unknown', { message: 'script ran out' });
        const outcome = typeof step === 'function' ? step(input) : step;
        if (outcome === 'ok') return { value: `answer from ${input.model}` };
        throw outcome;
      },
      ...extra,
    };
    let settled = false;
    const running = engine.run(spec).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error: error as GeminiError }),
    );
    void running.then(() => (settled = true));
    for (let turn = 0; !settled && turn < 100_000; turn++) await clock.advance(250);
    return { ...(await running), lines: [...lines] };
  }
  return { clock, engine, pool, inputs, call, reasons };
}

describe('engine: one row of the policy table at a time', () => {
  it('rate_limited: the project rests and another project answers without waiting', async () => {
    const { call, clock } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
    });
    const started = clock.now();
    const { result, lines } = await call([failure('rate_limited', { retryAfterMs: 30_000 }), 'ok']);
    expect(result?.value).toBe(`answer from ${PRO}`);
    expect(lines).toEqual([`failed ${PRO} …aaaa rate_limited → retry`, `ok ${PRO} …bbbb`, `done by ${PRO} after 2`]);
    expect(clock.now() - started).toBeLessThan(30_000);
  });

  it('rate_limited: with one project the call waits the server delay, never less', async () => {
    const { call, inputs } = setup();
    const { lines } = await call([failure('rate_limited', { retryAfterMs: 3_000 }), 'ok']);
    expect(lines).toEqual([
      `failed ${PRO} …aaaa rate_limited → retry`,
      `wait quota A/${PRO} until +3000 ms`,
      `ok ${PRO} …aaaa`,
      `done by ${PRO} after 2`,
    ]);
    expect(inputs).toHaveLength(2);
  });

  it('rate_limited: a wait over 5 s falls to the next model that can serve at once', async () => {
    const { call } = setup();
    const { lines } = await call([failure('rate_limited', { retryAfterMs: 30_000 }), 'ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([
      `failed ${PRO} …aaaa rate_limited → retry`,
      `fallback ${PRO} → ${FLASH} (${PRO} must wait for quota)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 2`,
    ]);
  });

  it('quota_exhausted: the pair is parked until the reset; another project goes on at once', async () => {
    const { call, pool, clock } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
    });
    const resetAt = clock.now() + 6 * 3600_000;
    const { lines } = await call([failure('quota_exhausted', { resetAt }), 'ok']);
    expect(lines).toEqual([
      `failed ${PRO} …aaaa quota_exhausted → retry`,
      `parked A/${PRO} (daily quota spent)`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 2`,
    ]);
    expect(pool.isParked('A', PRO, clock.now())).toBe(true);
    expect(pool.isParked('B', PRO, clock.now())).toBe(false);
  });

  it('quota_exhausted: with one project the next model answers; without one the call ends with the reset time', async () => {
    const { call, clock } = setup();
    const resetAt = clock.now() + 6 * 3600_000;
    const first = await call([failure('quota_exhausted', { resetAt }), 'ok'], { fallbacks: [FLASH] });
    expect(first.lines).toEqual([
      `failed ${PRO} …aaaa quota_exhausted → retry`,
      `parked A/${PRO} (daily quota spent)`,
      `fallback ${PRO} → ${FLASH} (every project's quota for ${PRO} is spent)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 2`,
    ]);
    const second = await call([]);
    expect(second.lines).toEqual(['gave up: quota_exhausted after 0']);
    expect(second.error?.resetAt).toBe(resetAt);
    expect(second.error?.message).toContain('every project is parked');
  });

  it('quota_exhausted with limit 0 (no reset time): the pair is parked for the process; another project goes on', async () => {
    const { call, pool, clock } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
    });
    const { lines } = await call([failure('quota_exhausted', { quota: [{ limit: 0, scope: 'day' }] }), 'ok']);
    expect(lines).toEqual([
      `failed ${PRO} …aaaa quota_exhausted → retry`,
      `parked A/${PRO} (no quota for this model on this tier)`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 2`,
    ]);
    expect(pool.parkedUntil('A', PRO, clock.now())).toBe(Number.POSITIVE_INFINITY);
    await clock.advance(48 * 3600_000);
    expect(pool.isParked('A', PRO, clock.now())).toBe(true);
  });

  it.each(['unavailable', 'network', 'malformed_response'] as const)(
    '%s: retry with backoff, then after 2 in a row the next model',
    async (kind) => {
      const { call, reasons } = setup();
      const { lines } = await call([failure(kind), failure(kind), 'ok'], { fallbacks: [FLASH] });
      expect(lines).toEqual([
        `failed ${PRO} …aaaa ${kind} → retry`,
        `retry-scheduled ${PRO}`,
        `wait backoff A/${PRO}`,
        `failed ${PRO} …aaaa ${kind} → fallback`,
        `fallback ${PRO} → ${FLASH} (${kind} 2× on ${PRO})`,
        `ok ${FLASH} …aaaa`,
        `done by ${FLASH} after 3`,
      ]);
      expect(reasons).toEqual([`${kind}: retry with backoff`, `${kind} 2× on ${PRO}`]);
    },
  );

  it('unavailable: the circuit opens after failures in 3 calls, skips the model, then probes it', async () => {
    const { call } = setup({ policy: { breaker: { failureThreshold: 3, cooldownMs: 30_000 } } });
    const twiceThenFlash = [failure('unavailable'), failure('unavailable'), 'ok'] as Step[];
    const first = await call(twiceThenFlash, { fallbacks: [FLASH] });
    expect(first.lines).toContain(`fallback ${PRO} → ${FLASH} (unavailable 2× on ${PRO})`);
    // One call's retries are one piece of evidence: two calls have not opened it.
    const second = await call(twiceThenFlash, { fallbacks: [FLASH] });
    expect(second.lines).not.toContain(`circuit-open ${PRO}`);
    const third = await call([failure('unavailable'), 'ok'], { fallbacks: [FLASH] });
    expect(third.lines.slice(0, 2)).toEqual([`failed ${PRO} …aaaa unavailable → retry`, `circuit-open ${PRO}`]);
    expect(third.lines).toContain(`fallback ${PRO} → ${FLASH} (${PRO} circuit open)`);
    const whileOpen = await call(['ok'], { fallbacks: [FLASH] });
    expect(whileOpen.lines).toEqual([
      `fallback ${PRO} → ${FLASH} (${PRO} circuit open)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 1`,
    ]);
  });

  it('an open circuit with no other model fails fast with its retry time; after the cool-down a probe goes through', async () => {
    const { call, clock } = setup({ policy: { maxAttempts: 3, breaker: { failureThreshold: 1, cooldownMs: 30_000 } } });
    const failing = await call([failure('unavailable'), failure('unavailable'), failure('unavailable')]);
    expect(failing.lines.filter((line) => line.startsWith('circuit-open'))).toEqual([`circuit-open ${PRO}`]);
    const refused = await call(['ok']);
    expect(refused.lines).toEqual(['gave up: unavailable after 0']);
    expect(refused.error?.retryAfterMs).toBeGreaterThan(0);
    await clock.advance(30_000);
    const probe = await call(['ok']);
    expect(probe.lines).toEqual([`circuit-closed ${PRO}`, `ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
  });

  it('an open circuit or a parked pair does not stop an unpaced call (countTokens): it uses no generation capacity', async () => {
    const { call, pool, clock } = setup({
      policy: { maxAttempts: 3, breaker: { failureThreshold: 1, cooldownMs: 30_000 } },
    });
    await call([failure('unavailable'), failure('unavailable'), failure('unavailable')]);
    expect((await call(['ok'])).lines).toEqual(['gave up: unavailable after 0']);
    const counted = await call(['ok'], { paced: false });
    expect(counted.lines).toEqual([`ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
    pool.park('A', PRO, clock.now() + 3_600_000, 'daily quota spent');
    expect((await call(['ok'], { paced: false })).lines).toEqual([`ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
  });

  it('internal with nothing to shrink and no other model: one retry, then the 500 is returned', async () => {
    const { call } = setup();
    const { lines, error } = await call([failure('internal'), failure('internal'), 'ok']);
    expect(lines.filter((text) => !text.startsWith('retry-scheduled') && !text.startsWith('wait'))).toEqual([
      `failed ${PRO} …aaaa internal → retry`,
      `failed ${PRO} …aaaa internal → fail`,
      'gave up: internal after 2',
    ]);
    expect(error?.kind).toBe('internal');
  });

  it('internal: retry once, then the shrink hook, then the next model', async () => {
    const { call, inputs } = setup({ policy: { breaker: { failureThreshold: 10 } } });
    const shrunk: GenerateContentRequest = { contents: [{ role: 'user', parts: [{ text: 'h' }] }] };
    let shrinks = 0;
    const shrink = () => (shrinks++ === 0 ? shrunk : undefined);
    const script = [failure('internal'), failure('internal'), failure('internal'), failure('internal'), 'ok'] as Step[];
    const { lines } = await call(script, { fallbacks: [FLASH], shrink, request: REQUEST });
    expect(lines.filter((text) => !text.startsWith('retry-scheduled') && !text.startsWith('wait'))).toEqual([
      `failed ${PRO} …aaaa internal → retry`,
      `failed ${PRO} …aaaa internal → shrink`,
      `failed ${PRO} …aaaa internal → retry`,
      `failed ${PRO} …aaaa internal → shrink`,
      `fallback ${PRO} → ${FLASH} (internal and the request cannot shrink further)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 5`,
    ]);
    expect(inputs.map((input) => input.request)).toEqual([REQUEST, REQUEST, shrunk, shrunk, shrunk]);
  });

  it.each(['deadline_exceeded', 'timeout'] as const)(
    '%s: retry with a longer timeout (X-Server-Timeout ≥ 10 s), then the next model',
    async (kind) => {
      const { call, inputs } = setup({ policy: { timeout: { initialMs: 60_000, maxMs: 600_000 } } });
      const { lines } = await call([failure(kind), failure(kind), 'ok'], { fallbacks: [FLASH] });
      expect(lines).toEqual([
        `failed ${PRO} …aaaa ${kind} → retry`,
        `failed ${PRO} …aaaa ${kind} → fallback`,
        `fallback ${PRO} → ${FLASH} (deadline again: next model)`,
        `ok ${FLASH} …aaaa`,
        `done by ${FLASH} after 3`,
      ]);
      expect(inputs.map((input) => [input.timeoutMs, input.serverTimeoutSeconds])).toEqual([
        [60_000, 60],
        [120_000, 120],
        [240_000, 240],
      ]);
    },
  );

  it('api_key_invalid: the key leaves the pool and the call goes on with the other key', async () => {
    const { call, pool } = setup({ keys: [KEY_A, KEY_B] });
    const { lines } = await call([failure('api_key_invalid'), 'ok']);
    expect(lines).toEqual([
      `failed ${PRO} …aaaa api_key_invalid → retry`,
      `key-out …aaaa (API key not valid)`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 2`,
    ]);
    expect(pool.usable(FLASH).map((key) => key.hint)).toEqual(['…bbbb']);
  });

  it('permission_denied for one model: the key leaves for that model only', async () => {
    const { call, pool } = setup({ keys: [KEY_A, KEY_B] });
    const { lines } = await call([failure('permission_denied', { status: 'PERMISSION_DENIED' }), 'ok']);
    expect(lines).toEqual([
      `failed ${PRO} …aaaa permission_denied → retry`,
      `key-out …aaaa for ${PRO} (permission denied)`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 2`,
    ]);
    expect(pool.usable(FLASH)).toHaveLength(2);
    expect(pool.usable(PRO)).toHaveLength(1);
  });

  it.each([
    ['permission_denied', 'resource'],
    ['permission_denied', 'request'],
    ['not_found', 'resource'],
  ] as const)('%s about the %s: the call fails, every key stays, the model stays', async (kind, blame) => {
    const { call, pool, engine } = setup({ keys: [KEY_A, KEY_B] });
    const { lines } = await call([failure(kind, { blame }), 'ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([`failed ${PRO} …aaaa ${kind} → fail`, `gave up: ${kind} after 1`]);
    expect(pool.usable(PRO)).toHaveLength(2);
    expect(engine.health.isDropped(PRO)).toBe(false);
  });

  it('permission_denied about the key or with a project reason: the key leaves for every model', async () => {
    const { call, pool } = setup({ keys: [KEY_A, KEY_B] });
    await call([failure('permission_denied', { blame: 'project', reason: 'CONSUMER_SUSPENDED' }), 'ok']);
    expect(pool.usable(FLASH).map((key) => key.hint)).toEqual(['…bbbb']);
  });

  it('not_found: the model is dropped from the chain; alone, the call fails at once', async () => {
    const { call, engine } = setup();
    const chained = await call([failure('not_found'), 'ok'], { fallbacks: [FLASH] });
    expect(chained.lines).toEqual([
      `failed ${PRO} …aaaa not_found → fallback`,
      `fallback ${PRO} → ${FLASH} (${PRO} not found: drop it)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 2`,
    ]);
    expect(engine.health.isDropped(PRO)).toBe(true);
    const alone = await call([failure('not_found')], { model: FLASH });
    expect(alone.lines).toEqual([`failed ${FLASH} …aaaa not_found → fail`, 'gave up: not_found after 1']);
  });

  it('a dropped model is skipped while another can serve, and sent again when it is the only one left', async () => {
    const { call, engine } = setup();
    await call([failure('not_found'), 'ok'], { fallbacks: [FLASH] });
    expect(engine.health.isDropped(PRO)).toBe(true);
    const chained = await call(['ok'], { fallbacks: [FLASH] });
    expect(chained.lines).toEqual([
      `fallback ${PRO} → ${FLASH} (${PRO} not found)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 1`,
    ]);
    // Alone, the call goes upstream as it would without gemwarden: the upstream's own 404 (which
    // names the method and API version) or, if the model has appeared since, its answer.
    const alone = await call(['ok']);
    expect(alone.lines).toEqual([`ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
  });

  it.each(['location_unsupported', 'invalid_request', 'input_too_large', 'blocked', 'truncated', 'unknown'] as const)(
    '%s: fails at once with the explanation, whatever models remain',
    async (kind) => {
      const { call } = setup();
      const { lines, error } = await call([failure(kind), 'ok'], { fallbacks: [FLASH] });
      expect(lines).toEqual([`failed ${PRO} …aaaa ${kind} → fail`, `gave up: ${kind} after 1`]);
      expect(error?.kind).toBe(kind);
      expect(error?.attempts).toHaveLength(1);
    },
  );

  it('blocked with fallbackOnBlocked: the next model is tried', async () => {
    const { call } = setup({ policy: { fallbackOnBlocked: true } });
    const { lines } = await call([failure('blocked'), 'ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([
      `failed ${PRO} …aaaa blocked → fallback`,
      `fallback ${PRO} → ${FLASH} (blocked: try the next model)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 2`,
    ]);
  });

  it('cancelled: an abort during a backoff wait stops everything at once', async () => {
    const { call, clock } = setup();
    const controller = new AbortController();
    const script: Step[] = [
      () => {
        clock.timer(100, () => controller.abort());
        return failure('unavailable', { retryAfterMs: 10_000 });
      },
      'ok',
    ];
    const { lines, error } = await call(script, { signal: controller.signal });
    expect(lines).toEqual([
      `failed ${PRO} …aaaa unavailable → retry`,
      `retry-scheduled ${PRO}`,
      `wait backoff A/${PRO}`,
      'gave up: cancelled after 1',
    ]);
    expect(error?.kind).toBe('cancelled');
  });

  it('running out of attempts wraps the last error with the count and every attempt', async () => {
    const { call } = setup({ policy: { maxAttempts: 2, fallbackAfter: 5 } });
    const last = failure('unavailable', { message: 'The model is overloaded.' });
    const { error, lines } = await call([failure('unavailable'), last, 'ok']);
    expect(lines.at(-1)).toBe('gave up: unavailable after 2');
    expect(error?.message).toBe('The model is overloaded. (gave up after 2 attempts)');
    expect(error?.cause).toBe(last);
    expect(last.message).toBe('The model is overloaded.');
    expect(error?.attempts.map((attempt) => attempt.kind)).toEqual(['unavailable', 'unavailable']);
  });

  it('a wait that would end after the deadline gives up at once instead of sleeping', async () => {
    const { call, clock } = setup({ policy: { deadlineMs: 5_000 } });
    const started = clock.now();
    const { error, lines } = await call([failure('rate_limited', { retryAfterMs: 60_000 }), 'ok']);
    expect(lines).toEqual([`failed ${PRO} …aaaa rate_limited → retry`, 'gave up: rate_limited after 1']);
    expect(error?.message).toContain('after the deadline');
    expect(clock.now() - started).toBeLessThan(5_000);
  });
});

describe('engine: deadlines (timeout.requestMs, timeout.minAttemptMs, deadlineMs)', () => {
  /** An attempt that takes `ms` of the fake clock and then fails with `kind`. */
  const slowFailure = (clock: FakeClock, ms: number, kind: ErrorKind) => async (input: AttemptInput) => {
    void input;
    await clock.sleep(ms);
    throw failure(kind);
  };

  it('defaults: a non-streamed attempt may take 600 s (sent as X-Server-Timeout), streams have first-chunk and idle limits, no whole-call deadline', async () => {
    const { call, inputs } = setup();
    const { lines } = await call(['ok']);
    expect(lines).toEqual([`ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
    const [input] = inputs;
    // The fake clock may have moved a step before the attempt: limits are what was left of them.
    expect(input?.timeoutMs).toBeGreaterThan(599_000);
    expect([input?.serverTimeoutSeconds, input?.firstChunkMs, input?.idleMs]).toEqual([600, 300_000, 120_000]);
    expect(input?.startBy).toBe(START + 600_000);
    expect(input?.endBy).toBeUndefined();
  });

  it('a 90 s answer costs one attempt with the default limits', async () => {
    const { call, clock, inputs } = setup();
    const { result } = await call([], {
      attempt: async (input) => {
        inputs.push(input);
        await clock.sleep(90_000);
        // What the transport would do: cut the attempt when it outlives its limit.
        if (input.timeoutMs < 90_000) throw failure('timeout');
        return { value: 'thought for 90 s' };
      },
    });
    expect(result?.value).toBe('thought for 90 s');
    expect(result?.attempts).toHaveLength(1);
  });

  it('requestMs of 1 ms: no attempt is made at all, and the error says why', async () => {
    const { call, inputs } = setup({ policy: { timeout: { requestMs: 1 } } });
    const { error, lines } = await call(['ok']);
    expect(inputs).toHaveLength(0);
    expect(lines).toEqual(['gave up: timeout after 0']);
    expect(error?.kind).toBe('timeout');
    expect(error?.message).toMatch(/No attempt was started: \d+ ms were left before the call's deadline/);
  });

  it('a per-call deadline of 1 ms: no attempt either', async () => {
    const { call, inputs } = setup();
    const { error } = await call(['ok'], { deadlineMs: 1 });
    expect(inputs).toHaveLength(0);
    expect(error?.kind).toBe('timeout');
  });

  it('requestMs caps every limit and is handed to the attempt as the end of the whole call', async () => {
    const { call, inputs } = setup({ policy: { timeout: { requestMs: 30_000 } } });
    await call(['ok']);
    expect(inputs[0]).toMatchObject({ serverTimeoutSeconds: 30, startBy: START + 30_000, endBy: START + 30_000 });
    for (const limit of [inputs[0]!.timeoutMs, inputs[0]!.firstChunkMs]) {
      expect(limit).toBeLessThanOrEqual(30_000);
      expect(limit).toBeGreaterThan(29_000);
    }
  });

  it('deadlineMs shorter than requestMs bounds the start of the answer; requestMs still ends the call', async () => {
    const { call, inputs } = setup({ policy: { deadlineMs: 20_000, timeout: { requestMs: 50_000 } } });
    await call(['ok']);
    expect(inputs[0]).toMatchObject({ startBy: START + 20_000, endBy: START + 50_000 });
    expect(inputs[0]!.timeoutMs).toBeLessThanOrEqual(20_000);
  });

  it('no attempt starts with less than minAttemptMs left: the call ends with the last error', async () => {
    const { call, clock, inputs } = setup({
      policy: { backoff: { baseMs: 1, maxMs: 1 }, timeout: { requestMs: 10_000, minAttemptMs: 3_000 } },
    });
    const slow = slowFailure(clock, 4_000, 'unavailable');
    const { error } = await call([], {
      attempt: async (input) => {
        inputs.push(input);
        return slow(input);
      },
    });
    // 0 → 4 s, 4 → 8 s; at 8 s only 2 s are left, less than the 3 s an attempt needs.
    expect(inputs).toHaveLength(2);
    expect(error?.kind).toBe('unavailable');
    expect(error?.attempts).toHaveLength(2);
    expect(error?.message).toMatch(/left before the deadline|after the deadline/);
  });

  it('a quota wait that would leave less than minAttemptMs gives up at once instead of sleeping', async () => {
    const { call, clock } = setup({ policy: { timeout: { requestMs: 10_000, minAttemptMs: 2_000 } } });
    const started = clock.now();
    const { error, lines } = await call([failure('rate_limited', { retryAfterMs: 9_000 }), 'ok']);
    expect(lines).toEqual([`failed ${PRO} …aaaa rate_limited → retry`, 'gave up: rate_limited after 1']);
    expect(error?.message).toContain('after the deadline');
    expect(clock.now() - started).toBeLessThan(9_000);
  });

  it('a wait for a concurrency place ends at the deadline, and nothing is sent', async () => {
    // Every place is taken for good: enter() only ever ends through its signal.
    const full: Pacer = {
      ...unlimitedPacer,
      enter: (_model, signal) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('left the queue')))),
    };
    const { call, inputs } = setup({ pacer: full, policy: { timeout: { requestMs: 5_000 } } });
    const { error, lines } = await call(['ok']);
    expect(inputs).toHaveLength(0);
    expect(error?.kind).toBe('timeout');
    expect(error?.message).toContain(`no concurrency place for ${PRO} before the deadline`);
    expect(lines).toEqual(['gave up: timeout after 0']);
  });

  it('options are checked: a negative requestMs or minAttemptMs is refused with its name', () => {
    expect(() => validatePolicy(resolvePolicy({ timeout: { requestMs: 0 } }))).toThrow(/timeout.requestMs/);
    expect(() => validatePolicy(resolvePolicy({ timeout: { minAttemptMs: -1 } }))).toThrow(/timeout.minAttemptMs/);
    expect(() => validatePolicy(resolvePolicy({ timeout: { idleMs: 0 } }))).toThrow(/timeout.idleMs/);
  });
});

describe('engine: how the route is chosen when quota waits differ', () => {
  it('a short wait for the requested model is waited out rather than falling back', async () => {
    const { call, pool, clock } = setup();
    pool.coolDown('A', PRO, clock.now() + 3_000);
    const { lines } = await call(['ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([`wait quota A/${PRO} until +3000 ms`, `ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
  });

  it('a long wait gives way to a later model that can send now', async () => {
    const { call, pool, clock } = setup();
    pool.coolDown('A', PRO, clock.now() + 20_000);
    const { lines } = await call(['ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([
      `fallback ${PRO} → ${FLASH} (${PRO} must wait for quota)`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 1`,
    ]);
  });

  it('when every model must wait long, the one ready soonest is chosen', async () => {
    const { call, pool, clock } = setup();
    pool.coolDown('A', PRO, clock.now() + 20_000);
    pool.coolDown('A', FLASH, clock.now() + 8_000);
    const { lines } = await call(['ok'], { fallbacks: [FLASH] });
    expect(lines).toEqual([
      `fallback ${PRO} → ${FLASH} (${PRO} must wait for quota)`,
      `wait quota A/${FLASH} until +8000 ms`,
      `ok ${FLASH} …aaaa`,
      `done by ${FLASH} after 1`,
    ]);
  });

  it('among projects, the key whose project can send now is used, least recently used first', async () => {
    const { call, pool, clock } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
    });
    pool.coolDown('B', PRO, clock.now() + 10_000);
    expect((await call(['ok'])).lines).toEqual([`ok ${PRO} …aaaa`, `done by ${PRO} after 1`]);
    pool.coolDown('A', PRO, clock.now() + 1_000);
    expect((await call(['ok'])).lines).toEqual([
      `wait quota A/${PRO} until +1000 ms`,
      `ok ${PRO} …aaaa`,
      `done by ${PRO} after 1`,
    ]);
  });

  it('the pacer: a slot later than now is waited for; a spent day parks the pair and goes on', async () => {
    const released: Array<{ sent: boolean }> = [];
    let booked = 0;
    const pacer: Pacer = {
      ...unlimitedPacer,
      reserve: async (project, _model, _tokens, now): Promise<Reservation> => {
        booked++;
        if (project === 'A') return { at: now + 86_400_000, dayFull: true, release: () => undefined };
        return { at: now + 2_000, dayFull: false, release: (outcome) => released.push(outcome) };
      },
    };
    const { call } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
      pacer,
    });
    const { lines } = await call(['ok']);
    expect(lines).toEqual([
      `parked A/${PRO} (daily request limit reached (paced))`,
      `wait quota B/${PRO} until +2000 ms`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 1`,
    ]);
    expect(booked).toBe(2);
    expect(released).toEqual([{ sent: true }]);
  });

  it('a key taken out while a call waits for its pacing slot is not sent to: the call chooses again', async () => {
    const released: Array<{ project: string; sent: boolean }> = [];
    const pacer: Pacer = {
      ...unlimitedPacer,
      reserve: async (project, _model, _tokens, now): Promise<Reservation> => ({
        at: project === 'A' ? now + 2_000 : now,
        dayFull: false,
        release: (outcome) => released.push({ project, sent: outcome.sent }),
      }),
    };
    const { call, clock, pool } = setup({
      keys: [
        { key: KEY_A, project: 'A' },
        { key: KEY_B, project: 'B' },
      ],
      pacer,
    });
    // Another call (or another process of the fleet) learns the key is suspended meanwhile.
    clock.timer(1_000, () => pool.disable(pool.keys[0]!, 'suspended (learned by another call)'));
    const { lines } = await call(['ok']);
    expect(lines.map((text) => text.replace(/ until .*/, ''))).toEqual([
      `wait quota A/${PRO}`,
      `ok ${PRO} …bbbb`,
      `done by ${PRO} after 1`,
    ]);
    expect(released).toEqual([
      { project: 'A', sent: false },
      { project: 'B', sent: true },
    ]);
  });

  it('nothing to try: every key out gives permission_denied naming why', async () => {
    const { call } = setup({ keys: [KEY_A] });
    await call([failure('api_key_invalid')]);
    const { error, lines } = await call([]);
    expect(lines).toEqual(['gave up: permission_denied after 0']);
    expect(error?.message).toBe(`Nothing left to try for ${PRO}: ${PRO}: no usable key (API key not valid).`);
  });
});

describe('engine options', () => {
  it('refuses options that cannot work when the policy is resolved, naming them', () => {
    expect(() => validatePolicy(resolvePolicy({ maxAttempts: 0 }))).toThrow(
      /maxAttempts must be an integer ≥ 1 \(got 0\)/,
    );
    expect(() => validatePolicy(resolvePolicy({ timeout: { initialMs: -1 } }))).toThrow(/timeout\.initialMs/);
    expect(validatePolicy(resolvePolicy({ retryBudget: false })).retryBudget).toBe(false);
  });
});
