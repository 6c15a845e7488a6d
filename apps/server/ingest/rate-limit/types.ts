// The per-endpoint rate limiter's public shapes. Implementations: memory.ts (one process) and
// redis.ts (shared by every server instance, falling back to memory.ts when Redis is unwell).

/** An endpoint's limits, as stored on its row (rateLimitPerSecond, rateLimitBurst). */
export interface RateLimits {
  /** Sustained rate: tokens added per second. Must be > 0. */
  ratePerSecond: number;
  /** Bucket capacity: how many requests may pass at once after a quiet period. Values < 1 count as 1. */
  burst: number;
}

/**
 * `ok: true`: go ahead (`waitedMs` is how long the request queued; 0 when a token was free).
 * `ok: false`: answer 429 with `Retry-After: retryAfterSeconds` (an integer ≥ 1).
 */
export type AcquireResult =
  | { readonly ok: true; readonly waitedMs: number }
  | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * Totals per endpoint. `admitted` counts every request let through, `queued` the subset of those
 * that had to wait first; `rejected` got 429; `aborted` left the queue because the client went away.
 * Every acquire() ends in exactly one of admitted, rejected or aborted.
 */
export interface RateLimitCounters {
  admitted: number;
  queued: number;
  rejected: number;
  aborted: number;
}

/** The one logger method the limiter uses; a pino logger fits. */
export interface RateLimitLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface RateLimiter {
  /** 'redis' when a Redis client was given (with the in-memory fallback), else 'memory'. */
  readonly backend: 'memory' | 'redis';
  /**
   * Take one token for `endpointId`, waiting in the endpoint's FIFO queue if the bucket is empty
   * and the wait fits the queue bounds; otherwise resolve `{ ok: false }` at once.
   * If `signal` aborts while the request is queued (or is already aborted), the promise rejects
   * with `signal.reason` (an AbortError DOMException by default) and the place in the queue is freed.
   * Never rejects for infrastructure reasons: Redis trouble falls back to the local limiter.
   */
  acquire(endpointId: string, limits: RateLimits, signal?: AbortSignal): Promise<AcquireResult>;
  /** Totals for the endpoint (across all instances when Redis is in use). */
  getCounters(endpointId: string): Promise<RateLimitCounters>;
  /** Forget the endpoint's bucket and counters (e.g. when the endpoint is deleted). */
  reset(endpointId: string): Promise<void>;
  /**
   * Stop: requests still queued resolve `{ ok: false, retryAfterSeconds: 1 }` (a 429 the producer
   * retries), and so does every later acquire(). Does not close the Redis client (the caller owns it).
   */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Queue at most this many requests per endpoint (default 1000). 0 disables queueing. */
  maxQueueDepth?: number;
  /** Queue a request only if its token is due within this many ms (default 2000). */
  maxWaitMs?: number;
  log: RateLimitLogger;
  /** Monotonic clock in ms (default performance.now). Drives the in-memory buckets and the breaker. */
  now?: () => number;
}

export const DEFAULT_MAX_QUEUE_DEPTH = 1000;
export const DEFAULT_MAX_WAIT_MS = 2000;
