export * from './clock.js';
export * from './pacific.js';
