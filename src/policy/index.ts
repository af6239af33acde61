// Pure decisions: backoff, rules per kind, key pool, circuit breaker, timeout ladder, retry budget.
export * from './options.js';
export * from './backoff.js';
export * from './circuit-breaker.js';
export * from './key-pool.js';
export * from './retry-budget.js';
export * from './timeout-ladder.js';
export * from './rules.js';
export { InvalidOptionsError, type OptionProblem } from './settings-check.js';
