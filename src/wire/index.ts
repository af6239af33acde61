// Gemini REST wire format: types, status table, error envelope, durations, stream framing, routes.
export * from './status.js';
export * from './duration.js';
export * from './error-envelope.js';
export * from './generate-content.js';
export * from './request-schema.js';
export * from './stream.js';
export * from './routes.js';
export * from './tiers.js';
