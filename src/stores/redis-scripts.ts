/**
 * The Lua scripts of `RedisStore`. Each one runs atomically in Redis, so checking the lock
 * holder and writing happen as one step. Keys of one conversation share a hash tag (`{key}`), so
 * the scripts also work on a Redis Cluster.
 *
 * Conventions: a missing key reads as 0; tokens (microseconds since the epoch, about 2^51 today)
 * and counters stay below 2^53, so Lua numbers hold them exactly; `%d` formats them without an
 * exponent.
 */

/** Lua helpers shared by the scripts. */
const HELPERS = `
local function num(v) return tonumber(v) or 0 end
local function str(n) return string.format('%d', n) end
-- never shortens a TTL; a key without TTL stays without one
local function keep_at_least(k, ms)
  local t = redis.call('PTTL', k)
  if t >= 0 and t < ms then redis.call('PEXPIRE', k, ms) end
end
-- a new counter takes the record's expiry, or counterTtlMs when there is no record
local function adopt(k, session, counter_ttl)
  local t = redis.call('PTTL', session)
  if t == -2 then redis.call('PEXPIRE', k, counter_ttl)
  elseif t > 0 then redis.call('PEXPIRE', k, t) end
end
-- the fence stays >= token and lives at least ms
local function guard_fence(fence, token, ms)
  if redis.call('EXISTS', fence) == 0 then
    redis.call('SET', fence, str(token), 'PX', math.max(ms, 1))
    return
  end
  local v = num(redis.call('GET', fence))
  if v < token then redis.call('INCRBY', fence, str(token - v)) end
  keep_at_least(fence, ms)
end
-- 1 when ARGV token holds the lock, 0 when not, -1 when a newer record is stored
local function holds(lock, session, token)
  if redis.call('GET', lock) ~= token then return 0 end
  if num(redis.call('HGET', session, 'token')) > num(token) then return -1 end
  return 1
end
`;

/** A script for `defineCommand`. */
export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * KEYS: lock, fence, session. ARGV: leaseMs, counterTtlMs.
 * Returns {1, token} when acquired, {0, pttl of the holder's lock} when not.
 */
const acquire: ScriptDefinition = {
  numberOfKeys: 3,
  lua: `${HELPERS}
local pttl = redis.call('PTTL', KEYS[1])
if pttl ~= -2 then return {0, pttl} end
local lease = tonumber(ARGV[1])
local fresh = redis.call('EXISTS', KEYS[2]) == 0
local last = num(redis.call('GET', KEYS[2]))
local stored = num(redis.call('HGET', KEYS[3], 'token'))
-- never below the server clock in microseconds: a token is not issued twice, even once the
-- fence and the record are gone (expired, flushed, lost in a restart or a failover)
local time = redis.call('TIME')
local clock = tonumber(time[1]) * 1000000 + tonumber(time[2])
local token = math.max(last + 1, stored + 1, clock)
redis.call('INCRBY', KEYS[2], str(token - last))
if fresh then adopt(KEYS[2], KEYS[3], ARGV[2]) end
keep_at_least(KEYS[2], lease)
redis.call('SET', KEYS[1], str(token), 'PX', lease)
return {1, token}
`,
};

/** KEYS: lock, fence. ARGV: token, leaseMs. Returns 1 when renewed, 0 when not held. */
const renew: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `${HELPERS}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
guard_fence(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
return 1
`,
};

/** KEYS: lock. ARGV: token. Returns 1 when released, 0 when not held (nothing done). */
const release: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`,
};

/**
 * KEYS: lock, fence, session, seq. ARGV: token, record JSON, expiresAt (epoch ms, '' = none).
 * Returns 1 when written, else what `holds` said. The counters take the record's expiry.
 */
const save: ScriptDefinition = {
  numberOfKeys: 4,
  lua: `${HELPERS}
local ok = holds(KEYS[1], KEYS[3], ARGV[1])
if ok ~= 1 then return ok end
redis.call('HSET', KEYS[3], 'token', ARGV[1], 'record', ARGV[2])
for i = 2, 4 do
  if ARGV[3] == '' then redis.call('PERSIST', KEYS[i])
  else redis.call('PEXPIREAT', KEYS[i], ARGV[3]) end
end
guard_fence(KEYS[2], tonumber(ARGV[1]), redis.call('PTTL', KEYS[1]))
return 1
`,
};

/**
 * KEYS: lock, fence, session, seq. ARGV: token, counterTtlMs.
 * Returns 1 when deleted, else what `holds` said. The counters are kept for counterTtlMs.
 */
const remove: ScriptDefinition = {
  numberOfKeys: 4,
  lua: `${HELPERS}
local ok = holds(KEYS[1], KEYS[3], ARGV[1])
if ok ~= 1 then return ok end
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[2])
guard_fence(KEYS[2], tonumber(ARGV[1]), redis.call('PTTL', KEYS[1]))
return 1
`,
};

/** KEYS: seq, session. ARGV: floor, counterTtlMs. Returns max(current, floor) + 1. */
const nextSequence: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `${HELPERS}
local floor = tonumber(ARGV[1])
local cur = redis.call('GET', KEYS[1])
if cur then
  return redis.call('INCRBY', KEYS[1], str(math.max(num(cur), floor) + 1 - num(cur)))
end
local n = redis.call('INCRBY', KEYS[1], str(floor + 1))
adopt(KEYS[1], KEYS[2], ARGV[2])
return n
`,
};

/** Every script, by the command name it is defined under on the client. */
export const SCRIPTS = {
  agentforceStoreAcquire: acquire,
  agentforceStoreRenew: renew,
  agentforceStoreRelease: release,
  agentforceStoreSave: save,
  agentforceStoreDelete: remove,
  agentforceStoreNextSequence: nextSequence,
} as const;

/** The commands the scripts add to an ioredis client. */
export interface ScriptCommands {
  agentforceStoreAcquire(
    lock: string,
    fence: string,
    session: string,
    leaseMs: number,
    counterTtlMs: number,
  ): Promise<[number, number]>;
  agentforceStoreRenew(
    lock: string,
    fence: string,
    token: string,
    leaseMs: number,
  ): Promise<number>;
  agentforceStoreRelease(lock: string, token: string): Promise<number>;
  agentforceStoreSave(
    lock: string,
    fence: string,
    session: string,
    seq: string,
    token: string,
    json: string,
    expiresAt: string,
  ): Promise<number>;
  agentforceStoreDelete(
    lock: string,
    fence: string,
    session: string,
    seq: string,
    token: string,
    counterTtlMs: number,
  ): Promise<number>;
  agentforceStoreNextSequence(
    seq: string,
    session: string,
    floor: number,
    counterTtlMs: number,
  ): Promise<number>;
}
