// The shared limiter: one token bucket per endpoint in Redis, updated atomically by a Lua script
// (one EVALSHA per request; EVAL when the server has not cached the script yet). Queueing uses
// reservations (see redis-scripts.ts): the script answers with a wait, the caller sleeps that long
// without polling. An aborted sleeper hands its reservation back.
//
// Availability of ingest beats precision of the limit: if Redis errors or is slow (> timeoutMs),
// that call is decided by a local in-memory limiter with the same limits, a warning is logged (at
// most once per warnIntervalMs), and Redis is skipped for breakerMs before being tried again.
import type { Redis } from 'ioredis';
import { ADMITTED, abortReason, CLOSED, checkQueueOptions, normalizeLimits, zeroCounters } from './internal';
import { createMemoryRateLimiter } from './memory';
import { ACQUIRE, type LuaScript, RELEASE } from './redis-scripts';
import {
  type AcquireResult,
  DEFAULT_MAX_QUEUE_DEPTH,
  DEFAULT_MAX_WAIT_MS,
  type RateLimitCounters,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimits,
} from './types';

export interface RedisRateLimiterOptions extends RateLimiterOptions {
  redis: Redis;
  /** A Redis call slower than this is abandoned and decided locally (default 50 ms). */
  redisTimeoutMs?: number;
  /** After a Redis failure, decide locally for this long before trying Redis again (default 5000 ms). */
  breakerMs?: number;
  /** At most one "Redis unavailable" warning per this many ms (default 30000 ms). */
  warnIntervalMs?: number;
  /** Counters expire after this long without traffic (default 30 days). */
  countersTtlMs?: number;
}

/** Redis keys of one endpoint. The hash tag keeps both in one Redis Cluster slot, as a script needs. */
export function rateLimitKeys(endpointId: string): { bucket: string; counters: string } {
  return { bucket: `wa:rl:{${endpointId}}`, counters: `wa:rl:stats:{${endpointId}}` };
}

const COUNTERS_TIMEOUT_MS = 1000;
const COUNTER_FIELDS = ['admitted', 'queued', 'rejected', 'aborted'] as const;

class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError';
}

interface Sleeper {
  timer: ReturnType<typeof setTimeout>;
  cancel(): void;
}

export function createRedisRateLimiter(opts: RedisRateLimiterOptions): RateLimiter {
  const { redis, log } = opts;
  const maxQueueDepth = opts.maxQueueDepth ?? DEFAULT_MAX_QUEUE_DEPTH;
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  checkQueueOptions(maxQueueDepth, maxWaitMs);
  const timeoutMs = opts.redisTimeoutMs ?? 50;
  const breakerMs = opts.breakerMs ?? 5000;
  const warnIntervalMs = opts.warnIntervalMs ?? 30_000;
  const countersTtl = String(opts.countersTtlMs ?? 30 * 24 * 3600 * 1000);
  const now = opts.now ?? (() => performance.now());
  const local = createMemoryRateLimiter({ maxQueueDepth, maxWaitMs, now });

  let skipRedisUntil = Number.NEGATIVE_INFINITY;
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  let failuresSinceWarn = 0;
  let closed = false;
  const sleepers = new Set<Sleeper>();
  const pendingReleases = new Set<Promise<unknown>>();
  // Best effort: with both scripts cached, EVALSHA succeeds first time and calls stay in order.
  for (const s of [ACQUIRE, RELEASE]) redis.script('LOAD', s.lua).catch(() => {});

  function redisFailed(err: unknown, op: string) {
    const t = now();
    skipRedisUntil = t + breakerMs;
    failuresSinceWarn++;
    if (t - lastWarnAt < warnIntervalMs) return;
    lastWarnAt = t;
    log.warn(
      { err, op, failures: failuresSinceWarn, retryRedisInMs: breakerMs },
      'rate limiter: Redis unavailable, deciding with the local in-memory limiter',
    );
    failuresSinceWarn = 0;
  }

  /** EVALSHA (EVAL if the script is not cached), bounded by `ms`. */
  function run(script: LuaScript, endpointId: string, args: (string | number)[], ms: number) {
    const { bucket, counters } = rateLimitKeys(endpointId);
    return bounded(
      () =>
        redis.evalsha(script.sha, 2, bucket, counters, ...args).catch((err: unknown) => {
          if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
            return redis.eval(script.lua, 2, bucket, counters, ...args);
          }
          throw err;
        }),
      ms,
    );
  }

  /** Runs `issue` (one Redis command) with a deadline of `ms`; rejects instead of waiting longer. */
  function bounded<T>(issue: () => Promise<T>, ms: number): Promise<T> {
    // A connection known to be down would park the command in ioredis's offline queue, to run
    // late (and spend a token nobody uses) after a reconnect: fail fast instead, without sending.
    const status = redis.status;
    if (status === 'end' || status === 'close' || status === 'reconnecting') {
      return Promise.reject(new Error(`Redis connection is ${status}`));
    }
    const call = issue();
    return new Promise<T>((resolve, reject) => {
      // The timeout is decided after the next I/O poll: if our own event loop was blocked (GC,
      // a big JSON.parse), the reply may already be waiting in the socket, and Redis is not to blame.
      const timeout = () => reject(new RedisTimeoutError(`Redis took longer than ${ms} ms`));
      const timer = setTimeout(() => setImmediate(timeout), ms);
      call.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** Hand back a reservation; `outcome` is the counter it moves to (from admitted + queued). */
  function release(endpointId: string, limits: RateLimits, outcome: 'aborted' | 'rejected') {
    const args = [limits.ratePerSecond, limits.burst, countersTtl, outcome];
    const p = run(RELEASE, endpointId, args, timeoutMs * 4)
      .catch((err) => redisFailed(err, 'release'))
      .finally(() => pendingReleases.delete(p));
    pendingReleases.add(p);
  }

  async function acquire(
    endpointId: string,
    limits: RateLimits,
    signal?: AbortSignal,
  ): Promise<AcquireResult> {
    if (closed) return CLOSED;
    if (signal?.aborted) throw abortReason(signal);
    const { burst } = normalizeLimits(limits);
    const started = now();
    if (started < skipRedisUntil) return local.acquire(endpointId, limits, signal);

    let reply: [number, number];
    try {
      reply = (await run(
        ACQUIRE,
        endpointId,
        [limits.ratePerSecond, burst, maxQueueDepth, maxWaitMs, countersTtl],
        timeoutMs,
      )) as [number, number];
    } catch (err) {
      redisFailed(err, 'acquire');
      return local.acquire(endpointId, limits, signal);
    }

    const [code, value] = reply;
    if (code === 0) return ADMITTED;
    if (code === 2) return { ok: false, retryAfterSeconds: value };

    // Queued: our token is reserved and due in `value` µs.
    const reservedLimits = { ratePerSecond: limits.ratePerSecond, burst };
    if (signal?.aborted || closed) {
      release(endpointId, reservedLimits, closed ? 'rejected' : 'aborted');
      if (closed) return CLOSED;
      throw abortReason(signal!);
    }
    return new Promise<AcquireResult>((resolve, reject) => {
      const onAbort = () => {
        finish();
        release(endpointId, reservedLimits, 'aborted');
        reject(abortReason(signal!));
      };
      const finish = () => {
        clearTimeout(sleeper.timer);
        sleepers.delete(sleeper);
        signal?.removeEventListener('abort', onAbort);
      };
      const sleeper: Sleeper = {
        timer: setTimeout(
          () => {
            finish();
            resolve({ ok: true, waitedMs: now() - started });
          },
          Math.ceil(value / 1000),
        ),
        cancel() {
          finish();
          release(endpointId, reservedLimits, 'rejected');
          resolve(CLOSED);
        },
      };
      sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    backend: 'redis',
    acquire,

    /**
     * Redis totals (all instances) plus what this instance decided locally while Redis was away.
     * While Redis is being skipped (or fails now), only this instance's local counts.
     */
    async getCounters(endpointId) {
      const fallback = await local.getCounters(endpointId);
      if (now() < skipRedisUntil) return fallback;
      let values: (string | null)[];
      try {
        values = await bounded(
          () => redis.hmget(rateLimitKeys(endpointId).counters, ...COUNTER_FIELDS),
          COUNTERS_TIMEOUT_MS,
        );
      } catch (err) {
        redisFailed(err, 'getCounters');
        return fallback;
      }
      const out: RateLimitCounters = zeroCounters();
      COUNTER_FIELDS.forEach((field, i) => {
        out[field] = Number(values[i] ?? 0) + fallback[field];
      });
      return out;
    },

    async reset(endpointId) {
      await local.reset(endpointId);
      const { bucket, counters } = rateLimitKeys(endpointId);
      await bounded(() => redis.del(bucket, counters), COUNTERS_TIMEOUT_MS);
    },

    async close() {
      closed = true;
      for (const s of sleepers) s.cancel();
      await local.close();
      await Promise.allSettled([...pendingReleases]);
    },
  };
}
