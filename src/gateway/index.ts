// The gateway: `gemwarden serve`.
export { startGateway, GatewayConfigError, type GatewayHandle, type GatewayOptions } from './server.js';
export { createRouter, matchRoute, type FetchHandler, type RequestContext, type Route } from './router.js';
export {
  checkGatewayConfig,
  clientOptionsFromConfig,
  gatewayConfigSchema,
  GATEWAY_DEFAULTS,
  keysFromEnvironment,
  type GatewayConfig,
  type CheckedGatewayConfig,
} from './config.js';
export { InvalidOptionsError } from '../policy/index.js';
