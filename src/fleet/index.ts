// Fleet state: what one process learns from failures, shared with every process using the same Redis.
export * from './fleet-store.js';
export * from './fleet-sync.js';
export * from './redis-fleet-store.js';
