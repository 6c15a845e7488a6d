// Small pieces shared by the memory and Redis limiters.
import type { AcquireResult, RateLimitCounters, RateLimits } from './types';

export const ADMITTED: AcquireResult = Object.freeze({ ok: true, waitedMs: 0 });
/** One shared, already-resolved promise: the common case allocates nothing. */
export const ADMITTED_NOW: Promise<AcquireResult> = Promise.resolve(ADMITTED);
export const CLOSED: AcquireResult = Object.freeze({ ok: false, retryAfterSeconds: 1 });
export const CLOSED_NOW: Promise<AcquireResult> = Promise.resolve(CLOSED);

/** Tokens per millisecond and capacity, validated. */
export function normalizeLimits(limits: RateLimits): { perMs: number; burst: number } {
  const { ratePerSecond, burst } = limits;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
    throw new RangeError(`rate limit: ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  if (Number.isNaN(burst)) throw new RangeError('rate limit: burst must be a number');
  return { perMs: ratePerSecond / 1000, burst: Math.max(1, burst) };
}

/** Retry-After for a request whose token would be due in `waitMs`: whole seconds, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function checkQueueOptions(maxQueueDepth: number, maxWaitMs: number) {
  if (!(maxQueueDepth >= 0) || !(maxWaitMs >= 0)) {
    throw new RangeError('rate limit: maxQueueDepth and maxWaitMs must be ≥ 0');
  }
}

export const zeroCounters = (): RateLimitCounters => ({ admitted: 0, queued: 0, rejected: 0, aborted: 0 });
