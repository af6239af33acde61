// Puts mid-stream repair (pipeline/stream-repair) on a GeminiStream: the stream keeps its API
// (start(), model, attempts), and iterating it reads the repaired chunks. Each repair attempt is
// a new stream of the same client, so it gets every remedy a first attempt gets (retries before
// its first chunk, other keys, pacing, fallbacks).
import type { PipelineEmitter } from '../pipeline/events.js';
import {
  repairStream,
  STREAM_REPAIR_MODES,
  type ModelRepairMemory,
  type StreamRepairMode,
} from '../pipeline/stream-repair/index.js';
import type { GenerateContentRequest, GenerateContentResponse } from '../wire/index.js';
import type { GeminiStream } from './stream.js';

export interface RepairWiring {
  mode: StreamRepairMode;
  model: string;
  request: GenerateContentRequest;
  /** A new stream of the same client, with repair off (a repair does not repair itself). */
  reopen: (request: GenerateContentRequest) => AsyncIterable<GenerateContentResponse>;
  memory: ModelRepairMemory;
  events: PipelineEmitter;
}

/** Makes iterating `stream` read repaired chunks; returns the same stream object. */
export function withStreamRepair(stream: GeminiStream, wiring: RepairWiring): GeminiStream {
  if (wiring.mode === 'off') return stream;
  const plain = stream[Symbol.asyncIterator].bind(stream);
  const source: AsyncIterable<GenerateContentResponse> = { [Symbol.asyncIterator]: plain };
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    value: () =>
      repairStream(source, {
        mode: wiring.mode,
        model: wiring.model,
        request: wiring.request,
        reopen: wiring.reopen,
        memory: wiring.memory,
        onEvent: ({ type: _type, ...event }) => wiring.events.emit('stream-repair', event),
      })[Symbol.asyncIterator](),
  });
  return stream;
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
