// The emulator's configuration: keys and their projects and states, models and their quotas, a
// compressible clock, latency, and the fault plan. Every field is optional.
import { z } from 'zod';
import { TIERS, type Tier } from '../wire/index.js';

export const KEY_STATES = [
  'active',
  'suspended',
  'service_disabled',
  'blocked',
  'expired',
  'invalid',
  'location_unsupported',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export { TIERS, type Tier };

export const CONTINUATIONS = ['literal', 'overlap', 'restart', 'preamble', 'drift', 'reject'] as const;
export type Continuation = (typeof CONTINUATIONS)[number];

/** Ways a stream breaks after its first chunks (see stream-answer.ts). */
export const BREAK_KINDS = ['error', 'reset', 'close', 'half', 'stall'] as const;

const keySchema = z
  .object({
    key: z.string().min(1, 'a key must not be empty'),
    project: z.string().min(1).optional(),
    tier: z.enum(TIERS).optional(),
    state: z.enum(KEY_STATES).optional(),
  })
  .strict();

const modelSchema = z
  .object({
    rpm: z.number().int().nonnegative().optional(),
    tpm: z.number().int().nonnegative().optional(),
    rpd: z.number().int().nonnegative().optional(),
    inputTokenLimit: z.number().int().positive().optional(),
    outputTokenLimit: z.number().int().positive().optional(),
    /**
     * Only these projects may call the model; others get Google's bare 403 "The caller does not have
     * permission" (seen for preview models a project has no access to), so a model one key may not
     * use can be tested.
     */
    projects: z.array(z.string().min(1)).optional(),
    /** Input above this many tokens answers 500 INTERNAL, so "reduce the input" can be tested. */
    internalErrorAboveTokens: z.number().int().nonnegative().optional(),
    /** "echo": structured id → string answers come back unchanged; text answers repeat the prompt. */
    answer: z.enum(['generate', 'echo']).optional(),
    /** How streamed text is cut: a few whole words per chunk (default) or a few characters, mid-word. */
    chunking: z.enum(['words', 'characters']).optional(),
    /** Whether the model thinks (known models: as Google documents; others: no). */
    thinking: z.boolean().optional(),
    /** Thinking tokens a request spends when its budget allows (default 48); they count against maxOutputTokens. */
    thinkingTokens: z.number().int().nonnegative().optional(),
    /** Whether function calls carry thought signatures that later turns must send back (Gemini 3: yes). */
    thoughtSignatures: z.boolean().optional(),
    /** This model's own latency, in ms of the emulator's clock (overrides the top-level latency). */
    latency: z
      .object({ firstTokenMs: z.number().nonnegative().optional(), perTokenMs: z.number().nonnegative().optional() })
      .strict()
      .optional(),
    /**
     * How the model answers a request whose last turn is a partial model answer (a prefill):
     * 'literal' continues exactly after it; 'overlap' repeats its last few words first; 'restart'
     * answers from the beginning; 'preamble' adds a sentence before continuing; 'drift' continues
     * with slightly different wording; 'reject' answers Google's 400 for a final model turn.
     * Unset: 'literal'.
     */
    continuation: z.enum(CONTINUATIONS).optional(),
  })
  .strict();

export const FAULT_STATUSES = [429, 500, 502, 503, 504] as const;

const faultSchema = z
  .object({
    model: z.string().optional(),
    key: z.string().optional(),
    project: z.string().optional(),
    /** Only requests whose prompt text contains this string. */
    promptContains: z.string().min(1).optional(),
    status: z
      .union(
        FAULT_STATUSES.map((status) => z.literal(status)) as unknown as [
          z.ZodLiteral<429>,
          z.ZodLiteral<500>,
          ...z.ZodLiteral<number>[],
        ],
      )
      .optional(),
    rate: z.number().min(0).max(1).optional(),
    every: z.number().int().positive().optional(),
    first: z.number().int().nonnegative().optional(),
    afterMs: z.number().nonnegative().optional(),
    forMs: z.number().nonnegative().optional(),
    midStream: z.boolean().optional(),
    /**
     * How a midStream fault breaks the stream: 'error' (default: an error object in the 200 body,
     * as Gemini does; needs a status), 'reset' (connection destroyed), 'close' (body ends early),
     * 'half' (half a JSON element, then the end), 'stall' (the connection stays open and silent
     * until the client goes away).
     */
    breakAs: z.enum(BREAK_KINDS).optional(),
    /** After how many chunks a midStream fault breaks the stream (default: 1 or 2). */
    breakAfterChunks: z.number().int().positive().optional(),
    /** Extra delay before answering, alone or with a status. */
    latencyMs: z.number().nonnegative().optional(),
    /** Answer 200 with a candidate stopped for this reason (SAFETY, RECITATION, MAX_TOKENS, OTHER …). */
    finishReason: z
      .string()
      .regex(/^[A-Z_]+$/, 'a finishReason such as SAFETY or MAX_TOKENS')
      .optional(),
    /** Answer 200 with the prompt blocked for this reason (SAFETY, PROHIBITED_CONTENT, OTHER …). */
    blockReason: z
      .string()
      .regex(/^[A-Z_]+$/, 'a blockReason such as SAFETY or PROHIBITED_CONTENT')
      .optional(),
  })
  .strict()
  .refine(
    (fault) =>
      [fault.status, fault.latencyMs, fault.finishReason, fault.blockReason].some((field) => field !== undefined) ||
      (fault.midStream === true && fault.breakAs !== undefined && fault.breakAs !== 'error'),
    {
      message:
        "a fault needs a status, latencyMs, finishReason or blockReason (or midStream with breakAs other than 'error')",
    },
  );

export const emulatorConfigSchema = z
  .object({
    keys: z.array(keySchema).optional(),
    models: z.record(z.string(), modelSchema).optional(),
    clock: z
      .object({ minuteMs: z.number().positive().optional(), dayMs: z.number().positive().optional() })
      .strict()
      .optional(),
    latency: z
      .object({ firstTokenMs: z.number().nonnegative().optional(), perTokenMs: z.number().nonnegative().optional() })
      .strict()
      .optional(),
    faults: z.array(faultSchema).optional(),
    seed: z.number().int().optional(),
    /**
     * Keep the last N requests (method, path, model, project, key's last 4 characters, body, prompt
     * text) for GET /_emulator/requests (default 50; 0 keeps none).
     */
    recordRequests: z.number().int().nonnegative().optional(),
    /** Largest request body accepted, in bytes (Gemini's is 20 MB). */
    maxBodyBytes: z.number().int().positive().optional(),
    /** Milliseconds a client may take to send a request body before it is answered 408 (default 60 000). */
    bodyTimeoutMs: z.number().int().positive().optional(),
  })
  .strict();

export type EmulatorConfig = z.input<typeof emulatorConfigSchema>;
export type EmulatorKey = z.output<typeof keySchema>;
export type EmulatorModelConfig = z.output<typeof modelSchema>;
export type Fault = z.output<typeof faultSchema>;
export type CheckedEmulatorConfig = z.output<typeof emulatorConfigSchema>;

export const EMULATOR_DEFAULTS = {
  minuteMs: 60_000,
  dayMs: 86_400_000,
  maxBodyBytes: 20 * 1024 * 1024,
  bodyTimeoutMs: 60_000,
  recordRequests: 50,
  thinkingTokens: 48,
  headersTimeoutMs: 60_000,
  seed: 1,
  host: '127.0.0.1',
  port: 8788,
} as const;
