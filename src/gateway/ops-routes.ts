// Operations routes: /healthz (the process answers), /readyz (it can serve), /metrics (Prometheus),
// /status (the live page) and /status.json (what the page shows).
import type { GeminiClient } from '../client/index.js';
import type { GatewayMetrics } from './metrics.js';
import type { Route } from './router.js';
import { STATUS_PAGE } from './status-page.js';
import type { StatusCollector } from './status.js';

export interface OpsContext {
  client: GeminiClient;
  metrics: GatewayMetrics;
  status: StatusCollector;
  /** How /readyz names the upstream ("built-in emulator" or its URL). */
  upstreamLabel: string;
  /** Models named in the config: /readyz is 503 while any of them has no usable key. */
  configuredModels: readonly string[];
}

const JSON_TYPE = 'application/json; charset=utf-8';

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** The operations routes, GET only. */
export function opsRoutes({ client, metrics, status, upstreamLabel, configuredModels }: OpsContext): Route[] {
  const get = ['GET', 'HEAD'] as const;
  return [
    { name: 'ops', methods: get, path: '/healthz', handler: async () => json({ ok: true }) },
    {
      name: 'ops',
      methods: get,
      path: '/readyz',
      handler: async () => {
        // Ready when some key is usable and every configured model has a usable key.
        const usable = client.keys.keys.filter((key) => !key.disabled).length;
        const models = Object.fromEntries(
          [...new Set(configuredModels)].map((model) => {
            const keys = client.keys.usable(model).length;
            return [model, { ready: keys > 0, usableKeys: keys }];
          }),
        );
        const ready = usable > 0 && Object.values(models).every((model) => model.ready);
        return json({ ready, usableKeys: usable, upstream: upstreamLabel, models }, ready ? 200 : 503);
      },
    },
    {
      name: 'ops',
      methods: get,
      path: '/status',
      handler: async () =>
        new Response(STATUS_PAGE, {
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        }),
    },
    {
      name: 'ops',
      methods: get,
      path: '/status.json',
      handler: async () => json(await status.json(), 200, { 'cache-control': 'no-store' }),
    },
    {
      name: 'ops',
      methods: get,
      path: '/metrics',
      handler: async () =>
        new Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }),
    },
  ];
}
