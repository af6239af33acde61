// The emulator: a local Gemini API with the real error surface and fault injection.
export { startEmulator, createEmulatorApp, type EmulatorHandle, type EmulatorOptions } from './server.js';
export { emulatorConfigSchema, EMULATOR_DEFAULTS, KEY_STATES, type EmulatorConfig, type Fault } from './config.js';
export type { EmulatorStats } from './state.js';
export { countTextTokens, countRequestTokens } from './tokens.js';
export { rot13 } from './answers.js';
