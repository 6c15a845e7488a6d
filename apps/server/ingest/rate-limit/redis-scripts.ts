// Lua for the shared token bucket. Reservation model: a request that finds no token takes one
// anyway, driving the balance negative (down to the queue bound), and is told how long until
// that token refills; it sleeps that long and proceeds. FIFO falls out of the arithmetic: each
// reservation is due 1/rate after the previous one. Time is Redis's own clock (TIME), so
// instances with skewed clocks still share one consistent bucket.
//
// KEYS[1] bucket hash { t = tokens (may be negative), ts = last refill, ms }; expires once it
//         would have refilled completely (a missing key means a full bucket).
// KEYS[2] counters hash { admitted, queued, rejected, aborted }.
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

const REFILL = `
local perMs = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
local fresh = tokens == nil or ts == nil
if fresh then
  tokens = burst
  ts = now
elseif now > ts then
  tokens = tokens + (now - ts) * perMs
  ts = now
end
if tokens > burst then tokens = burst end
local function save()
  redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'ts', string.format('%.3f', ts))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
end
`;

/**
 * ARGV: ratePerSecond, burst, maxQueueDepth, maxWaitMs, countersTtlMs.
 * Returns {0, 0} admitted now | {1, waitMicros} admitted after waiting | {2, retryAfterSeconds}.
 */
export const ACQUIRE = script(`${REFILL}
local maxDepth = tonumber(ARGV[3])
local maxWait = tonumber(ARGV[4])
local code, value
if tokens >= 1 then
  tokens = tokens - 1
  code, value = 0, 0
  redis.call('HINCRBY', KEYS[2], 'admitted', 1)
else
  local wait = (1 - tokens) / perMs
  if math.ceil(1 - tokens) > maxDepth or wait > maxWait then
    redis.call('HINCRBY', KEYS[2], 'rejected', 1)
    redis.call('PEXPIRE', KEYS[2], ARGV[5])
    return {2, math.max(1, math.ceil(wait / 1000))}
  end
  tokens = tokens - 1
  code, value = 1, math.ceil(wait * 1000)
  redis.call('HINCRBY', KEYS[2], 'admitted', 1)
  redis.call('HINCRBY', KEYS[2], 'queued', 1)
end
save()
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {code, value}
`);

/**
 * Give back the token of a queued request that was cancelled before its turn, so the next
 * arrival is due one slot earlier. ARGV: ratePerSecond, burst, countersTtlMs, and the counter
 * the request moves to from admitted/queued ('aborted', or 'rejected' when the limiter closed).
 */
export const RELEASE = script(`${REFILL}
if not fresh then
  tokens = tokens + 1
  if tokens > burst then tokens = burst end
  save()
end
redis.call('HINCRBY', KEYS[2], 'admitted', -1)
redis.call('HINCRBY', KEYS[2], 'queued', -1)
redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`);
