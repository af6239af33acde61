// Mid-stream repair (pipeline/stream-repair) as a GeminiStream's chunk transform: the stream keeps
// its API (start(), model, attempts, finding), and iterating it reads the repaired chunks. Each
// repair attempt is a new stream of the same client, so it gets every remedy a first attempt gets
// (retries before its first chunk, other keys, pacing, fallbacks).
import type { GeminiError } from '../errors/index.js';
import type { PipelineEmitter } from '../pipeline/events.js';
import {
  repairStream,
  STREAM_REPAIR_MODES,
  type ModelRepairMemory,
  type StreamRepairMode,
} from '../pipeline/stream-repair/index.js';
import type { GenerateContentRequest, GenerateContentResponse } from '../wire/index.js';
import type { ChunkTransform, GeminiStream } from './stream.js';

export interface RepairWiring {
  mode: StreamRepairMode;
  model: string;
  request: GenerateContentRequest;
  /** A new stream of the same client, with repair off (a repair does not repair itself). */
  reopen: (request: GenerateContentRequest) => GeminiStream;
  memory: ModelRepairMemory;
  events: PipelineEmitter;
  /** Told what a repair attempt found wrong with its answer ('report' mode), as the stream's own finding is. */
  onFinding?: (finding: GeminiError) => void;
}

/** The chunk transform that repairs a stream as `wiring` says; undefined when the mode is `off`. */
export function streamRepairTransform(wiring: RepairWiring): ChunkTransform | undefined {
  if (wiring.mode === 'off') return undefined;
  return (chunks) =>
    repairStream(chunks, {
      mode: wiring.mode,
      model: wiring.model,
      request: wiring.request,
      reopen: (request) => reportingFindings(wiring.reopen(request), wiring.onFinding),
      memory: wiring.memory,
      onEvent: ({ type: _type, ...event }) => wiring.events.emit('stream-repair', event),
    });
}

/** The chunks of `stream`, telling `onFinding` of its finding as soon as a chunk shows one. */
async function* reportingFindings(
  stream: GeminiStream,
  onFinding: ((finding: GeminiError) => void) | undefined,
): AsyncGenerator<GenerateContentResponse> {
  let told = false;
  for await (const chunk of stream) {
    if (!told && stream.finding && onFinding) {
      told = true;
      onFinding(stream.finding);
    }
    yield chunk;
  }
}

/** The request header that chooses mid-stream repair for one call, and the answer header that tells it. */
export const STREAM_REPAIR_HEADER = 'x-gemwarden-stream-repair';

/**
 * Reads a mode from outside (a header, a config value): one of off, restart, continue, auto,
 * case-insensitive. Returns undefined for an absent value; throws a TypeError naming the choices
 * for anything else.
 */
export function parseStreamRepairMode(value: string | null | undefined): StreamRepairMode | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const mode = value.trim().toLowerCase() as StreamRepairMode;
  if (!STREAM_REPAIR_MODES.includes(mode))
    throw new TypeError(`stream repair must be one of ${STREAM_REPAIR_MODES.join(', ')} (got "${value.slice(0, 40)}")`);
  return mode;
}
