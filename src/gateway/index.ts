// The gateway: `gemwarden serve`.
export { startGateway, GatewayConfigError, type GatewayHandle, type GatewayOptions } from './server.js';
export { createRouter, matchRoute, type FetchHandler, type RequestContext, type Route } from './router.js';
export {
  clientOptionsFromConfig,
  gatewayConfigSchema,
  GATEWAY_DEFAULTS,
  keysFromEnvironment,
  type GatewayConfig,
  type CheckedGatewayConfig,
} from './config.js';
