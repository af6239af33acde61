// The emulator: a local Gemini API with the real error surface and fault injection.
export { startEmulator, type EmulatorHandle, type EmulatorOptions } from './server.js';
export { createEmulatorHandler, type EmulatorHandler } from './handler.js';
export {
  EmulatorFailure,
  matchRoute,
  type EmulatorRoute,
  type HttpMethod,
  type RouteContext,
  type RouteHandler,
} from './router.js';
export { EMULATOR_ROUTES } from './routes.js';
export { errorResponse, jsonResponse } from './respond.js';
export { emulatorConfigSchema, EMULATOR_DEFAULTS, KEY_STATES, type EmulatorConfig, type Fault } from './config.js';
export type { EmulatorStats } from './state.js';
export { countTextTokens, countRequestTokens } from './tokens.js';
export { rot13 } from './answers.js';
