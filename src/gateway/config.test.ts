// The gateway's config is the shared settings schema extended with what only a server has: a parsed
// file becomes client options without a field-by-field copy, its errors name the field, and the
// README's configuration reference lists every field with the schema's own defaults.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkConfig, ConfigError } from '../config/load-file.js';
import { createClient } from '../client/create-client.js';
import { clientSettingsSchema, sharedSettingsSchema } from '../client/options.js';
import { InvalidOptionsError } from '../policy/settings-check.js';
import { checkGatewayConfig, clientOptionsFromConfig, gatewayConfigSchema } from './config.js';

/** A config file that sets every shared setting to something other than its default. */
const EVERY_SHARED_SETTING = {
  keys: ['key-a-0001', { key: 'key-b-0002', project: 'p2', tier: 'tier1' }],
  fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] },
  limits: { 'gemini-2.5-flash': { rpm: 10, tpm: 1000, rpd: 100, concurrency: 2 } },
  quotaWindows: { minuteMs: 600, dayMs: 6000 },
  redis: 'redis://127.0.0.1:1',
  instanceId: 'gw-1',
  keyProbe: { initialMs: 1000, maxMs: 8000, timeoutMs: 500 },
  upstreamConnections: 4,
  streamRepair: 'auto',
  maxAttempts: 3,
  deadlineMs: 9000,
  fallbackAfter: 1,
  rateLimitFallbackAfterMs: 100,
  internalRetries: 0,
  timeoutRetries: 2,
  fallbackOnBlocked: true,
  retryUnusableAnswers: true,
  backoff: { baseMs: 10, maxMs: 100 },
  breaker: { failureThreshold: 5, cooldownMs: 1000 },
  retryBudget: false,
  timeout: { initialMs: 1000, factor: 3, requestMs: 20_000 },
} as const;

const SERVER_ONLY = { upstream: 'http://127.0.0.1:9', clients: [{ token: 'a-long-token', name: 'app' }], port: 0 };

describe('gateway config → client options', () => {
  it('the file sets every shared setting; the client options are those settings, plus keys and baseUrl, and nothing of the server', () => {
    expect(Object.keys(EVERY_SHARED_SETTING).sort()).toEqual(Object.keys(sharedSettingsSchema.shape).sort());
    const config = checkGatewayConfig({ ...EVERY_SHARED_SETTING, ...SERVER_ONLY });
    const options = clientOptionsFromConfig(config, ['env-key-0003'], config.upstream);
    const { keys: _fileKeys, ...shared } = EVERY_SHARED_SETTING;
    const expected = clientSettingsSchema.parse({ ...shared, keys: ['env-key-0003'], baseUrl: SERVER_ONLY.upstream });
    // Through the same schema the client checks with, the two are equal field for field.
    expect(clientSettingsSchema.parse(options)).toEqual(expected);
    for (const name of ['clients', 'port', 'host', 'logLevel', 'bodyLimitBytes', 'upstream', 'clock'])
      expect(options).not.toHaveProperty(name);
  });

  it('a setting the file leaves out stays out, and the client fills its default from the same schema', () => {
    const config = checkGatewayConfig({});
    expect(config.maxAttempts).toBeUndefined();
    const options = clientOptionsFromConfig(config, ['env-key-0003'], config.upstream);
    expect(options).toEqual({ keys: ['env-key-0003'], baseUrl: 'https://generativelanguage.googleapis.com' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8787, logLevel: 'info', maxConnections: 1000 });
  });

  it('a parsed file makes a working client (the schemas agree)', async () => {
    const config = checkGatewayConfig({ ...EVERY_SHARED_SETTING, redis: undefined, upstream: 'http://127.0.0.1:9' });
    const client = createClient(clientOptionsFromConfig(config, config.keys ?? [], config.upstream));
    expect(client.keys.keys).toHaveLength(2);
    expect(client.keys.keys[1]).toMatchObject({ project: 'p2', tier: 'tier1' });
    await client.close();
  });
});

describe('the deprecated `clock` of a config file', () => {
  const warnings: Error[] = [];
  const listen = (warning: Error) => warnings.push(warning);
  afterEach(() => {
    process.off('warning', listen);
  });

  it('is read as quotaWindows (which wins where both are set), with one warning per process', async () => {
    process.on('warning', listen);
    const config = checkGatewayConfig({ clock: { minuteMs: 500, dayMs: 5000 }, quotaWindows: { dayMs: 9000 } });
    const options = clientOptionsFromConfig(config, ['k-0001'], config.upstream);
    clientOptionsFromConfig(config, ['k-0001'], config.upstream);
    expect(options.quotaWindows).toEqual({ minuteMs: 500, dayMs: 9000 });
    expect(options).not.toHaveProperty('clock');
    await new Promise((resolve) => setImmediate(resolve));
    const ours = warnings.filter((warning) => (warning as { code?: string }).code === 'GEMWARDEN_CONFIG_CLOCK');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toMatch(/quotaWindows/);
  });
});

describe('bad values in a config name the field', () => {
  it.each([
    [{ timeout: { factor: 0.5 } }, 'timeout.factor must be a number ≥ 1 (got 0.5)'],
    [{ maxAttempts: 0 }, 'maxAttempts must be an integer ≥ 1 (got 0)'],
    [{ backoff: { baseMs: -1 } }, 'backoff.baseMs must be a number ≥ 0 (got -1)'],
    [{ upstreem: 'http://x' }, 'upstreem is not a setting'],
    [{ keys: [{ key: 'k', project: 7 }] }, 'keys[0].project must be a string (got 7)'],
    [{ clients: [{ token: 'short', name: 'x' }] }, 'clients[0].token a client token needs at least 8 characters'],
    [{ logLevel: 'loud' }, 'logLevel must be one of'],
    [{ port: 70000 }, 'port must be a port from 0 to 65535 (got 70000)'],
    [{ clock: { minuteMs: -1 } }, 'clock.minuteMs must be a number > 0 (got -1)'],
  ])('%j → "%s"', (config, message) => {
    expect(() => checkConfig(gatewayConfigSchema, config, 'gateway.json')).toThrow(ConfigError);
    expect(() => checkConfig(gatewayConfigSchema, config, 'gateway.json')).toThrow(message);
    expect(() => checkGatewayConfig(config as never)).toThrow(InvalidOptionsError);
  });
});

/** The object inside optional, default and prefault wrappers, or the object branch of a union. */
function unwrapped(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault)
    return unwrapped(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodUnion)
    return (schema.options as z.ZodType[]).find((option) => option instanceof z.ZodObject) ?? schema;
  return schema;
}

/** Every top-level field of the gateway schema, the fields of a nested object as `parent.child`. */
function fieldPaths(): string[] {
  return Object.entries(gatewayConfigSchema.shape as Record<string, z.ZodType>).flatMap(([name, field]) => {
    const inner = unwrapped(field);
    return inner instanceof z.ZodObject ? Object.keys(inner.shape).map((child) => `${name}.${child}`) : [name];
  });
}

describe("the README's configuration reference", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('#### Configuration reference'));
  const rows = section
    .slice(0, section.indexOf('\n\n', section.indexOf('| setting |')))
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| /, '')));

  it('has a row for every field of the gateway schema, and no row for a field it does not have', () => {
    const fields = fieldPaths();
    const listed = rows.flatMap(([names]) => [...names!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
    expect(fields.filter((field) => !listed.includes(field))).toEqual([]);
    expect(listed.filter((field) => !fields.includes(field))).toEqual([]);
  });

  it("shows the schema's own defaults", () => {
    const defaults = { ...clientSettingsSchema.parse({ keys: [] }), ...gatewayConfigSchema.parse({}) } as Record<
      string,
      unknown
    >;
    for (const [names, shown] of rows) {
      const fields = [...names!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
      const values = shown!.split(', ');
      fields.forEach((field, index) => {
        const value = field
          .split('.')
          .reduce<unknown>((holder, part) => (holder as Record<string, unknown> | undefined)?.[part], defaults);
        if (value === undefined || typeof value === 'object') return;
        expect(`${field}: ${values[index]!.replace(/`/g, '')}`).toBe(`${field}: ${JSON.stringify(value)}`);
      });
    }
  });
});
