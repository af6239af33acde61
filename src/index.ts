// gemwarden's public API.
export * from './errors/index.js';
export * from './time/index.js';
export * as wire from './wire/index.js';
