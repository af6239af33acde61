// Pacing state in Redis, so several processes sharing keys share one budget. Every decision is one
// atomic Lua script (one round trip): prune the rolling minute, check the day, book the slot.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { nextPacificMidnight } from '../time/index.js';
import type { Limits } from './limits.js';
import { REAL_DAY_MS, type Booked, type PacingStore, type PairUsage, type Windows } from './store.js';

const RESERVE = `
local log, tok, day, learned = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, window, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rpm, tpm, rpd = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
-- Limits learned from 429s by any process lower the caller's (0 or -1 means none given).
local lrpm, ltpm, lrpd = redis.call('HGET', learned, 'rpm'), redis.call('HGET', learned, 'tpm'), redis.call('HGET', learned, 'rpd')
if lrpm and (rpm <= 0 or tonumber(lrpm) < rpm) then rpm = tonumber(lrpm) end
if ltpm and (tpm <= 0 or tonumber(ltpm) < tpm) then tpm = tonumber(ltpm) end
if lrpd and (rpd < 0 or tonumber(lrpd) < rpd) then rpd = tonumber(lrpd) end
local id, realDay, dayMs, dayEnd = ARGV[7], ARGV[8] == '1', tonumber(ARGV[9]), tonumber(ARGV[10])
local function fmt(n) return string.format('%.0f', n) end
local old = redis.call('ZRANGEBYSCORE', log, '-inf', fmt(now - window))
if #old > 0 then
  redis.call('ZREMRANGEBYSCORE', log, '-inf', fmt(now - window))
  redis.call('HDEL', tok, unpack(old))
end
if rpd >= 0 then
  if realDay then
    local used = tonumber(redis.call('GET', day) or '0')
    if used >= rpd then return {fmt(dayEnd), '', '1'} end
  else
    redis.call('ZREMRANGEBYSCORE', day, '-inf', fmt(now - dayMs))
    local count = redis.call('ZCARD', day)
    if count >= rpd then
      if rpd == 0 then return {'inf', '', '1'} end
      local entry = redis.call('ZRANGE', day, count - rpd, count - rpd, 'WITHSCORES')
      return {fmt(tonumber(entry[2]) + dayMs), '', '1'}
    end
  end
end
local at = now
local count = redis.call('ZCARD', log)
if count > 0 then
  local last = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(last[2]))
end
if rpm > 0 and count >= rpm then
  local entry = redis.call('ZRANGE', log, count - rpm, count - rpm, 'WITHSCORES')
  at = math.max(at, tonumber(entry[2]) + window)
end
if tpm > 0 and count > 0 then
  local room = tpm - math.min(tokens, tpm)
  local entries = redis.call('ZRANGE', log, 0, -1, 'WITHSCORES')
  local sum = 0
  for i = #entries - 1, 1, -2 do
    sum = sum + tonumber(redis.call('HGET', tok, entries[i]) or '0')
    if sum > room then
      at = math.max(at, tonumber(entries[i + 1]) + window)
      break
    end
  end
end
redis.call('ZADD', log, fmt(at), id)
redis.call('HSET', tok, id, fmt(tokens))
local ttl = math.max(60000, at - now + window * 2)
redis.call('PEXPIRE', log, fmt(ttl))
redis.call('PEXPIRE', tok, fmt(ttl))
if rpd >= 0 then
  if realDay then
    redis.call('INCR', day)
    redis.call('PEXPIRE', day, fmt(math.max(60000, dayEnd - now + 3600000)))
  else
    redis.call('ZADD', day, fmt(at), id)
    redis.call('PEXPIRE', day, fmt(dayMs * 2 + 60000))
  end
end
return {fmt(at), id, '0'}
`;

const CANCEL = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if removed == 1 then
  if ARGV[2] == '1' then
    local used = tonumber(redis.call('GET', KEYS[3]) or '0')
    if used > 0 then redis.call('DECR', KEYS[3]) end
  else
    redis.call('ZREM', KEYS[3], ARGV[1])
  end
end
return removed
`;

const LEARN = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(ARGV[2]) < tonumber(current) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const USAGE = `
local now, minute = tonumber(ARGV[1]), tonumber(ARGV[2])
local function fmt(n) return string.format('%.0f', n) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. fmt(now - minute), fmt(now))
local tokens = 0
for _, id in ipairs(ids) do tokens = tokens + tonumber(redis.call('HGET', KEYS[2], id) or '0') end
local waiting = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
local day
if ARGV[3] == '1' then day = tonumber(redis.call('GET', KEYS[3]) or '0')
else day = redis.call('ZCOUNT', KEYS[3], '(' .. fmt(now - tonumber(ARGV[4])), fmt(now)) end
return {#ids, tokens, day, waiting}
`;

interface PacingRedis extends Redis {
  gwReserve(
    log: string,
    tok: string,
    day: string,
    learned: string,
    ...args: string[]
  ): Promise<[string, string, string]>;
  gwLearn(learned: string, window: string, limit: string, ttlMs: string): Promise<number>;
  gwCancel(log: string, tok: string, day: string, id: string, realDay: string): Promise<number>;
  gwUsage(
    log: string,
    tok: string,
    day: string,
    now: string,
    minute: string,
    realDay: string,
    dayMs: string,
  ): Promise<[number, number, number, number]>;
}

export interface RedisStoreOptions {
  url: string;
  windows: Windows;
  /** Key prefix, so several deployments can share one Redis. */
  prefix?: string;
  /** A command slower than this fails (the pacer then falls back to per-process limits). */
  commandTimeoutMs?: number;
}

export class RedisPacingStore implements PacingStore {
  readonly kind = 'redis' as const;
  readonly redis: PacingRedis;
  private readonly prefix: string;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'gemwarden:pacing';
    this.redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: options.commandTimeoutMs ?? 250,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false,
    }) as PacingRedis;
    // Connection errors surface through failed commands; without a listener ioredis would log them.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('gwReserve', { numberOfKeys: 4, lua: RESERVE });
    this.redis.defineCommand('gwLearn', { numberOfKeys: 1, lua: LEARN });
    this.redis.defineCommand('gwCancel', { numberOfKeys: 3, lua: CANCEL });
    this.redis.defineCommand('gwUsage', { numberOfKeys: 3, lua: USAGE });
  }

  private realDay(): boolean {
    return this.options.windows.dayMs === REAL_DAY_MS;
  }

  private keys(pair: string, now: number): [string, string, string] {
    const base = `${this.prefix}:{${pair}}`;
    const day = this.realDay() ? `${base}:day:${nextPacificMidnight(now)}` : `${base}:daylog`;
    return [`${base}:log`, `${base}:tok`, day];
  }

  async reserve(pair: string, tokens: number, limits: Limits, now: number): Promise<Booked> {
    const { minuteMs, marginMs, dayMs } = this.options.windows;
    const id = randomUUID();
    const [at, booked, dayFull] = await this.redis.gwReserve(
      ...this.keys(pair, now),
      this.learnedKey(pair),
      String(now),
      String(minuteMs + marginMs),
      String(tokens),
      String(limits.rpm ?? 0),
      String(limits.tpm ?? 0),
      String(limits.rpd ?? -1),
      id,
      this.realDay() ? '1' : '0',
      String(dayMs),
      String(nextPacificMidnight(now)),
    );
    return { at: at === 'inf' ? Number.POSITIVE_INFINITY : Number(at), id: booked, dayFull: dayFull === '1' };
  }

  private learnedKey(pair: string): string {
    return `${this.prefix}:{${pair}}:learned`;
  }

  /** Shares a limit learned from a 429 with every process (the lowest value wins; kept a day). */
  async learn(pair: string, window: 'rpm' | 'tpm' | 'rpd', limit: number): Promise<void> {
    await this.redis.gwLearn(this.learnedKey(pair), window, String(limit), String(86_400_000));
  }

  async cancel(pair: string, id: string, now: number): Promise<void> {
    if (!id) return;
    await this.redis.gwCancel(...this.keys(pair, now), id, this.realDay() ? '1' : '0');
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    if (!id) return;
    const [log, tok] = this.keys(pair, 0);
    // Only a booking still in the log is corrected (an expired one no longer matters).
    if (await this.redis.zscore(log, id)) await this.redis.hset(tok, id, String(tokens));
  }

  async usage(pair: string, now: number): Promise<PairUsage> {
    const [minuteRequests, minuteTokens, dayRequests, waiting] = await this.redis.gwUsage(
      ...this.keys(pair, now),
      String(now),
      String(this.options.windows.minuteMs),
      this.realDay() ? '1' : '0',
      String(this.options.windows.dayMs),
    );
    return { minuteRequests, minuteTokens, dayRequests, waiting };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
