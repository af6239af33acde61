// Mid-stream repair: see repair-stream.ts.
export {
  ModelRepairMemory,
  repairStream,
  STREAM_REPAIR_MODES,
  type RepairedChunk,
  type StreamRepairEvent,
  type StreamRepairMode,
  type StreamRepairNote,
  type StreamRepairOptions,
} from './repair-stream.js';
