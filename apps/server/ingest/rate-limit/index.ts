// Per-endpoint rate limiting for ingest (contract: soft limit 100 req/s per endpoint; short
// bursts are absorbed by queueing; sustained excess gets 429 + Retry-After).
//
//   const limiter = createRateLimiter({ redis, log });          // once, at start-up
//   const rl = await limiter.acquire(endpoint.id,
//     { ratePerSecond: endpoint.rateLimitPerSecond, burst: endpoint.rateLimitBurst },
//     disconnectSignal(res));
//   if (!rl.ok) → 429, Retry-After: rl.retryAfterSeconds
//   (acquire rejects with an AbortError if the client hangs up while queued: isAbortError(err)
//   → nobody to answer, nothing to log as a failure)
import { createMemoryRateLimiter } from './memory';
import { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis';
import type { RateLimiter, RateLimiterOptions } from './types';

export { disconnectSignal, isAbortError } from './disconnect';
export { createMemoryRateLimiter } from './memory';
export { createRedisRateLimiter, type RedisRateLimiterOptions, rateLimitKeys } from './redis';
export * from './types';

export type CreateRateLimiterOptions = RateLimiterOptions &
  Partial<Omit<RedisRateLimiterOptions, keyof RateLimiterOptions>>;

/** Shared through Redis when a client is given (falling back to memory if it fails), else in memory. */
export function createRateLimiter(opts: CreateRateLimiterOptions): RateLimiter {
  const { redis } = opts;
  return redis ? createRedisRateLimiter({ ...opts, redis }) : createMemoryRateLimiter(opts);
}
