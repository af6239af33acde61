// The shape of fleet state on the wire: entries that one process writes and every other process of
// the fleet applies to its own local mirror (key pool, model health). The store moves entries; it
// knows nothing of what they mean (fleet-sync.ts does).

/** What an entry is about. Signals (`circuit-fail`, `circuit-ok`) are told, never stored. */
export type FleetEntryKind = 'key' | 'park' | 'cool' | 'circuit' | 'dropped' | 'circuit-fail' | 'circuit-ok';

/** One piece of shared state. Keys are named by a hash, never by the key itself. */
export interface FleetEntry {
  kind: FleetEntryKind;
  /** Unique within its kind (e.g. "project/model", or a key's hash and model). */
  id: string;
  /** The entry's data; null when it was removed (a key back, a circuit closed). */
  value: Record<string, unknown> | null;
  /** The instanceId of the process that wrote it. */
  by: string;
  /** Epoch ms when it was written. */
  at: number;
}

export type FleetConnection = 'shared' | 'local';

/**
 * Where fleet state lives between processes. Writes never block a request: `put`, `remove` and
 * `tell` return at once and report trouble through `onState`. Implementation: RedisFleetStore.
 */
export interface FleetStore {
  /** 'shared' while the store answers; 'local' while each process keeps its own state. */
  readonly connection: FleetConnection;
  /** Stores `entry` until `expireAt` (epoch ms) and tells the other processes. */
  put(entry: FleetEntry, expireAt: number): void;
  /** Removes the entry and tells the other processes. */
  remove(entry: FleetEntry): void;
  /** Tells the other processes without storing (signals). */
  tell(entry: FleetEntry): void;
  /** Resolves true for exactly one caller in the fleet until `ttlMs` passes (false for the others). */
  claim(name: string, ttlMs: number): Promise<boolean>;
  /** Every stored entry (for a full read on (re)connect). */
  readAll(): Promise<FleetEntry[]>;
  /** Entries written by other processes. */
  onEntry(listener: (entry: FleetEntry) => void): () => void;
  /**
   * Connection changes. `resync` runs before the store says 'shared' again after being away (and on
   * the first connection): the owner reads everything and writes back what it learned meanwhile.
   */
  onState(listener: (state: FleetConnection, reason?: string) => void): () => void;
  setResync(resync: () => Promise<void>): void;
  close(): Promise<void>;
}
