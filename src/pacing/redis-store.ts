// Pacing state in Redis, so several processes sharing keys share one budget. Every decision is one
// atomic Lua script (one round trip) running the same bucket algorithm as minute-buckets.ts, so its
// cost does not grow with the requests in the minute either.
//
// Keys per pair (all under one hash tag, so a cluster keeps them on one node):
//   …:st       hash: ws (window start bucket), wp/hp (window and head positions in …:bl, counted
//              from the first bucket ever pushed), wn/wt (requests and tokens in the window), la (last
//              booking's time)
//   …:bl       list: indexes of the non-empty buckets, in order
//   …:b:INDEX  hash: '#n' and '#t' (the bucket's requests and tokens) and one field per booking id
//   …:day:END / …:daylog   the day's count (real days) or booking times (compressed days)
//   …:learned  limits learned from 429s by any process
//   …:merged   set: ids of bookings made in a process's memory while Redis was away and copied back
// Booking ids are "BUCKET:uuid", so a cancellation or correction finds its bucket without a search.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { nextPacificMidnight } from '../time/index.js';
import type { Limits } from './limits.js';
import { bucketGeometry, type BucketGeometry } from './minute-buckets.js';
import { REAL_DAY_MS, type Booked, type PacingStore, type PairUsage, type Windows } from './store.js';

const RESERVE = `
local st, bl, day, learned = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, tokens = tonumber(ARGV[1]), tonumber(ARGV[2])
local rpm, tpm, rpd = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local id, realDay, dayMs, dayEnd = ARGV[6], ARGV[7] == '1', tonumber(ARGV[8]), tonumber(ARGV[9])
local B, N, base = tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
local function fmt(n) return string.format('%.0f', n) end
-- Limits learned from 429s by any process lower the caller's (0 or -1 means none given).
local lrpm, ltpm, lrpd = redis.call('HGET', learned, 'rpm'), redis.call('HGET', learned, 'tpm'), redis.call('HGET', learned, 'rpd')
if lrpm and (rpm <= 0 or tonumber(lrpm) < rpm) then rpm = tonumber(lrpm) end
if ltpm and (tpm <= 0 or tonumber(ltpm) < tpm) then tpm = tonumber(ltpm) end
if lrpd and (rpd < 0 or tonumber(lrpd) < rpd) then rpd = tonumber(lrpd) end
-- A spent day books nothing: the caller parks the pair until the day has room.
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
-- The rolling minute as buckets of B ms, N to a window (see minute-buckets.ts for the safety argument).
local s = redis.call('HMGET', st, 'ws', 'wp', 'hp', 'wn', 'wt', 'la')
local ws, wp, hp = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3]) or 0
local wn, wt, la = tonumber(s[4]) or 0, tonumber(s[5]) or 0, tonumber(s[6]) or now
if not ws then
  redis.call('DEL', bl) -- state expired: start over (the buckets expire by themselves)
  ws = math.floor(now / B) - N + 1
end
local len = redis.call('LLEN', bl)
local function bucketAt(pos) return tonumber(redis.call('LINDEX', bl, pos - hp)) end
local function advance(start)
  if start <= ws then return end
  while wp < hp + len do
    local index = bucketAt(wp)
    if index >= start then break end
    local c = redis.call('HMGET', base .. ':b:' .. fmt(index), '#n', '#t')
    wn = wn - (tonumber(c[1]) or 0)
    wt = wt - (tonumber(c[2]) or 0)
    wp = wp + 1
  end
  ws = start
end
-- Forget buckets no window from now on can hold.
local keepFrom = math.min(ws, math.floor(now / B) - N + 1)
while hp < wp do
  local index = tonumber(redis.call('LINDEX', bl, 0))
  if not index or index >= keepFrom then break end
  redis.call('LPOP', bl)
  redis.call('DEL', base .. ':b:' .. fmt(index))
  hp = hp + 1
  len = len - 1
end
local basis = math.max(now, la)
advance(math.floor(basis / B) - N + 1)
local need = 0
if tpm > 0 then need = math.min(tokens, tpm) end
while (rpm > 0 and wn + 1 > rpm) or (tpm > 0 and wt + need > tpm) do
  if wp >= hp + len then break end
  advance(bucketAt(wp) + 1)
end
local at = math.max(basis, (ws + N - 1) * B)
local k = math.floor(at / B)
if len == 0 or tonumber(redis.call('LINDEX', bl, -1)) ~= k then redis.call('RPUSH', bl, fmt(k)) end
local bucket = base .. ':b:' .. fmt(k)
local booking = fmt(k) .. ':' .. id
redis.call('HINCRBY', bucket, '#n', 1)
redis.call('HINCRBY', bucket, '#t', fmt(tokens))
redis.call('HSET', bucket, booking, fmt(tokens))
redis.call('HSET', st, 'ws', fmt(ws), 'wp', fmt(wp), 'hp', fmt(hp), 'wn', fmt(wn + 1), 'wt', fmt(wt + tokens), 'la', fmt(at))
local ttl = fmt(math.max(60000, at - now + N * B * 2))
redis.call('PEXPIRE', bucket, ttl)
redis.call('PEXPIRE', st, ttl)
redis.call('PEXPIRE', bl, ttl)
-- The day is counted even with no RPD known, for the status page and for a limit learned later.
if realDay then
  redis.call('INCR', day)
  redis.call('PEXPIRE', day, fmt(math.max(60000, dayEnd - now + 3600000)))
else
  if rpd < 0 then redis.call('ZREMRANGEBYSCORE', day, '-inf', fmt(now - dayMs)) end
  redis.call('ZADD', day, fmt(at), booking)
  redis.call('PEXPIRE', day, fmt(dayMs * 2 + 60000))
end
return {fmt(at), booking, '0'}
`;

/**
 * Copies one booking made in a process's memory (while Redis was away) into the shared state, at the
 * time it was booked for: counted in its day, and in its bucket while any window from now on can
 * still hold it. Counted once: the id goes into …:merged first, so a merge repeated after a lost reply
 * changes nothing. The bucket is placed in order (a walk back from the newest bucket, bounded by the
 * buckets of one window), before or inside the window as its time says.
 */
const MERGE = `
local st, bl, day, merged = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, at, tokens, id = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local realDay, dayMs, B, N, base = ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local dayTtl = ARGV[10]
local function fmt(n) return string.format('%.0f', n) end
local k = math.floor(at / B)
local booking = fmt(k) .. ':' .. id
if redis.call('SADD', merged, id) == 0 then return {booking, '0'} end
-- A reservation under this id timed out for its process but may have run here all the same: if its
-- bucket still holds it, it is already counted (searched back to the bucket of its request).
local from = tonumber(ARGV[11])
if from then
  local len = redis.call('LLEN', bl)
  for j = len - 1, 0, -1 do
    local index = redis.call('LINDEX', bl, j)
    if tonumber(index) < from then break end
    local found = index .. ':' .. id
    if redis.call('HEXISTS', base .. ':b:' .. index, found) == 1 then return {found, '0'} end
  end
end
redis.call('PEXPIRE', merged, dayTtl)
if realDay then
  redis.call('INCR', day)
  if redis.call('PTTL', day) < tonumber(dayTtl) then redis.call('PEXPIRE', day, dayTtl) end
elseif at > now - dayMs then
  redis.call('ZADD', day, fmt(at), booking)
  redis.call('PEXPIRE', day, fmt(dayMs * 2 + 60000))
end
-- Too old for any window from now on: the day was all it still counted in.
if k < math.floor(now / B) - N + 1 then return {booking, '1'} end
local s = redis.call('HMGET', st, 'ws', 'wp', 'hp', 'wn', 'wt', 'la')
local ws, wp, hp = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3]) or 0
local wn, wt, la = tonumber(s[4]) or 0, tonumber(s[5]) or 0, tonumber(s[6]) or at
if not ws then
  redis.call('DEL', bl)
  ws, wp, hp, wn, wt = math.floor(now / B) - N + 1, 0, 0, 0, 0
end
local len = redis.call('LLEN', bl)
local j, found = len, false
while j > 0 do
  local index = tonumber(redis.call('LINDEX', bl, j - 1))
  if index == k then found = true break end
  if index < k then break end
  j = j - 1
end
if not found then
  if j == len then redis.call('RPUSH', bl, fmt(k))
  else redis.call('LINSERT', bl, 'BEFORE', redis.call('LINDEX', bl, j), fmt(k)) end
  -- Before the window start, the new bucket pushes the window's first position one further.
  if k < ws then wp = wp + 1 end
end
local bucket = base .. ':b:' .. fmt(k)
redis.call('HINCRBY', bucket, '#n', 1)
redis.call('HINCRBY', bucket, '#t', fmt(tokens))
redis.call('HSET', bucket, booking, fmt(tokens))
if k >= ws then
  wn = wn + 1
  wt = wt + tokens
end
if at > la then la = at end
redis.call('HSET', st, 'ws', fmt(ws), 'wp', fmt(wp), 'hp', fmt(hp), 'wn', fmt(wn), 'wt', fmt(wt), 'la', fmt(la))
local ttl = math.max(60000, at - now + N * B * 2)
for _, key in ipairs({bucket, st, bl}) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, fmt(ttl)) end
end
return {booking, '1'}
`;

/** Finds a booking's bucket from its id; 0 when the booking is gone (expired or never made). */
const FIND = `
local k = string.match(ARGV[1], '^(-?%d+):')
if not k then return 0 end
local bucket = ARGV[2] .. ':b:' .. k
local tokens = redis.call('HGET', bucket, ARGV[1])
if not tokens then return 0 end
local ws = tonumber(redis.call('HGET', KEYS[1], 'ws'))
local inWindow = ws ~= nil and tonumber(k) >= ws
`;

const CANCEL = `${FIND}
redis.call('HDEL', bucket, ARGV[1])
redis.call('HINCRBY', bucket, '#n', -1)
redis.call('HINCRBY', bucket, '#t', -tonumber(tokens))
if inWindow then
  redis.call('HINCRBY', KEYS[1], 'wn', -1)
  redis.call('HINCRBY', KEYS[1], 'wt', -tonumber(tokens))
end
if ARGV[3] == '1' then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used > 0 then redis.call('DECR', KEYS[2]) end
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
`;

const CORRECT = `${FIND}
local delta = tonumber(ARGV[3]) - tonumber(tokens)
redis.call('HSET', bucket, ARGV[1], ARGV[3])
redis.call('HINCRBY', bucket, '#t', delta)
if inWindow then redis.call('HINCRBY', KEYS[1], 'wt', delta) end
return 1
`;

const LEARN = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or tonumber(ARGV[2]) < tonumber(current) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const USAGE = `
local now, minute, B, base = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5]), ARGV[6]
local function fmt(n) return string.format('%.0f', n) end
local current, first = math.floor(now / B), math.floor((now - minute) / B) + 1
local requests, tokens, waiting = 0, 0, 0
local indexes = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #indexes, 1, -1 do
  local index = tonumber(indexes[i])
  if index < first then break end
  local c = redis.call('HMGET', base .. ':b:' .. indexes[i], '#n', '#t')
  if index > current then waiting = waiting + (tonumber(c[1]) or 0)
  else
    requests = requests + (tonumber(c[1]) or 0)
    tokens = tokens + (tonumber(c[2]) or 0)
  end
end
local day
if ARGV[3] == '1' then day = tonumber(redis.call('GET', KEYS[2]) or '0')
else day = redis.call('ZCOUNT', KEYS[2], '(' .. fmt(now - tonumber(ARGV[4])), fmt(now)) end
return {requests, tokens, day, waiting}
`;

interface PacingRedis extends Redis {
  gwReserve(
    state: string,
    buckets: string,
    day: string,
    learned: string,
    ...args: string[]
  ): Promise<[string, string, string]>;
  gwMerge(state: string, buckets: string, day: string, merged: string, ...args: string[]): Promise<[string, string]>;
  gwLearn(learned: string, window: string, limit: string, ttlMs: string): Promise<number>;
  gwCancel(state: string, day: string, id: string, base: string, realDay: string): Promise<number>;
  gwCorrect(state: string, id: string, base: string, tokens: string): Promise<number>;
  gwUsage(
    buckets: string,
    day: string,
    now: string,
    minute: string,
    realDay: string,
    dayMs: string,
    bucketMs: string,
    base: string,
  ): Promise<[number, number, number, number]>;
}

export interface RedisStoreOptions {
  url: string;
  windows: Windows;
  /** Key prefix, so several deployments can share one Redis. */
  prefix?: string | undefined;
  /** A command slower than this fails, ms (the failover store then paces per process). Default 250. */
  commandTimeoutMs?: number | undefined;
}

/**
 * Bookings in Redis (ioredis, no offline queue, no retries per command: a failure is reported at
 * once so the failover store can pace locally). Use it through `FailoverStore`.
 */
export class RedisPacingStore implements PacingStore {
  readonly kind = 'redis' as const;
  readonly redis: PacingRedis;
  private readonly prefix: string;
  private readonly geometry: BucketGeometry;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'gemwarden:pacing';
    this.geometry = bucketGeometry(options.windows);
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
    this.redis.defineCommand('gwMerge', { numberOfKeys: 4, lua: MERGE });
    this.redis.defineCommand('gwLearn', { numberOfKeys: 1, lua: LEARN });
    this.redis.defineCommand('gwCancel', { numberOfKeys: 2, lua: CANCEL });
    this.redis.defineCommand('gwCorrect', { numberOfKeys: 1, lua: CORRECT });
    this.redis.defineCommand('gwUsage', { numberOfKeys: 2, lua: USAGE });
  }

  /** True while the connection is up (commands may still be slow). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Calls `listener` each time the connection becomes ready; returns the function that stops it. */
  onReady(listener: () => void): () => void {
    this.redis.on('ready', listener);
    return () => this.redis.off('ready', listener);
  }

  /** One round trip (PING), failing like any command after the command timeout. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private realDay(): boolean {
    return this.options.windows.dayMs === REAL_DAY_MS;
  }

  private base(pair: string): string {
    return `${this.prefix}:{${pair}}`;
  }

  private dayKey(pair: string, now: number): string {
    return this.realDay() ? `${this.base(pair)}:day:${nextPacificMidnight(now)}` : `${this.base(pair)}:daylog`;
  }

  /** Books a slot (see PacingStore); `id` names the booking (default: a fresh uuid), see `merge`. */
  async reserve(pair: string, tokens: number, limits: Limits, now: number, id = randomUUID()): Promise<Booked> {
    const base = this.base(pair);
    const [at, booked, dayFull] = await this.redis.gwReserve(
      `${base}:st`,
      `${base}:bl`,
      this.dayKey(pair, now),
      `${base}:learned`,
      String(now),
      String(Math.max(0, Math.ceil(tokens))),
      String(limits.rpm ?? 0),
      String(limits.tpm ?? 0),
      String(limits.rpd ?? -1),
      id,
      this.realDay() ? '1' : '0',
      String(this.options.windows.dayMs),
      String(nextPacificMidnight(now)),
      String(this.geometry.bucketMs),
      String(this.geometry.buckets),
      base,
    );
    return { at: at === 'inf' ? Number.POSITIVE_INFINITY : Number(at), id: booked, dayFull: dayFull === '1' };
  }

  /**
   * Copies a booking made elsewhere (in a process's memory while Redis was away) into the shared
   * state at its own time `at` with `tokens` input tokens, counted once however often it is asked
   * (keyed by `id`). `now` is the time of the copy (epoch ms). `triedAt`: the booking was first tried
   * here under the same id at that time and the answer was lost (a timeout): if that reservation
   * ran after all, it is kept and not counted again. Returns the booking's id in this store, for a
   * later cancellation or correction.
   */
  async merge(pair: string, id: string, at: number, tokens: number, now: number, triedAt?: number): Promise<string> {
    const base = this.base(pair);
    const dayEnd = this.realDay() ? nextPacificMidnight(at) : at + this.options.windows.dayMs;
    const [booking] = await this.redis.gwMerge(
      `${base}:st`,
      `${base}:bl`,
      this.dayKey(pair, at),
      `${base}:merged`,
      String(now),
      String(at),
      String(Math.max(0, Math.ceil(tokens))),
      id,
      this.realDay() ? '1' : '0',
      String(this.options.windows.dayMs),
      String(this.geometry.bucketMs),
      String(this.geometry.buckets),
      base,
      String(Math.max(60_000, dayEnd - now + 3_600_000)),
      triedAt === undefined ? '' : String(Math.floor(triedAt / this.geometry.bucketMs)),
    );
    return booking;
  }

  /** No local view: a bare Redis store cannot estimate without a round trip (FailoverStore can). */
  peek(_pair: string, _tokens: number, _limits: Limits, now: number): number {
    return now;
  }

  /** Shares a limit learned from a 429 with every process (the lowest value wins; kept a day). */
  async learn(pair: string, window: 'rpm' | 'tpm' | 'rpd', limit: number): Promise<void> {
    await this.redis.gwLearn(`${this.base(pair)}:learned`, window, String(limit), String(86_400_000));
  }

  async cancel(pair: string, id: string, now: number): Promise<void> {
    if (!id) return;
    const base = this.base(pair);
    await this.redis.gwCancel(`${base}:st`, this.dayKey(pair, now), id, base, this.realDay() ? '1' : '0');
  }

  async correct(pair: string, id: string, tokens: number): Promise<void> {
    if (!id) return;
    const base = this.base(pair);
    // Only a booking still in its bucket is corrected (an expired one no longer matters).
    await this.redis.gwCorrect(`${base}:st`, id, base, String(Math.max(0, Math.ceil(tokens))));
  }

  async usage(pair: string, now: number): Promise<PairUsage> {
    const base = this.base(pair);
    const [minuteRequests, minuteTokens, dayRequests, waiting] = await this.redis.gwUsage(
      `${base}:bl`,
      this.dayKey(pair, now),
      String(now),
      String(this.options.windows.minuteMs),
      this.realDay() ? '1' : '0',
      String(this.options.windows.dayMs),
      String(this.geometry.bucketMs),
      base,
    );
    return { minuteRequests, minuteTokens, dayRequests, waiting };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
