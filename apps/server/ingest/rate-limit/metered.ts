// Counts the limiter's decisions for /metrics; wraps any RateLimiter (memory or Redis).
import { metrics } from '../../../../lib/metrics';
import { isAbortError } from './disconnect';
import type { RateLimiter } from './types';

export function withRateLimitMetrics(limiter: RateLimiter): RateLimiter {
  return {
    backend: limiter.backend,
    async acquire(endpointId, limits, signal) {
      try {
        const rl = await limiter.acquire(endpointId, limits, signal);
        metrics.rateLimit(rl.ok ? (rl.waitedMs > 0 ? 'queued' : 'admitted') : 'rejected');
        return rl;
      } catch (err) {
        if (isAbortError(err)) metrics.rateLimit('aborted');
        throw err;
      }
    },
    getCounters: (endpointId) => limiter.getCounters(endpointId),
    reset: (endpointId) => limiter.reset(endpointId),
    close: () => limiter.close(),
  };
}
