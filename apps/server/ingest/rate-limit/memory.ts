// Token bucket per endpoint in process memory, with a FIFO wait queue.
//
// A request that finds a token takes it synchronously: O(1), no timer, no allocation. One that
// does not joins the endpoint's queue if its token would be due within the bounds (the k-th
// waiter needs k tokens beyond what the bucket holds, at `rate`); otherwise it is rejected at
// once with the time that refill would take. One timer per non-empty queue hands out tokens in
// arrival order as they refill. An aborted waiter leaves the queue, so everyone behind it moves up.
import {
  ADMITTED_NOW,
  abortReason,
  CLOSED,
  CLOSED_NOW,
  checkQueueOptions,
  normalizeLimits,
  retryAfterSeconds,
  zeroCounters,
} from './internal';
import {
  type AcquireResult,
  DEFAULT_MAX_QUEUE_DEPTH,
  DEFAULT_MAX_WAIT_MS,
  type RateLimitCounters,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimits,
} from './types';

interface Waiter {
  readonly enqueuedAt: number;
  readonly resolve: (r: AcquireResult) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, limiter clock). */
  last: number;
  /** The limits of the most recent call: the timer refills with these. */
  perMs: number;
  burst: number;
  /** Insertion-ordered; delete is O(1), so an abort anywhere in the queue is cheap. */
  readonly queue: Set<Waiter>;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly counters: RateLimitCounters;
}

export type MemoryRateLimiterOptions = Omit<RateLimiterOptions, 'log'> &
  Partial<Pick<RateLimiterOptions, 'log'>>;

/** Buckets are created on first use and kept (one small object per endpoint that has had traffic). */
export function createMemoryRateLimiter(opts: MemoryRateLimiterOptions = {}): RateLimiter {
  const maxQueueDepth = opts.maxQueueDepth ?? DEFAULT_MAX_QUEUE_DEPTH;
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  checkQueueOptions(maxQueueDepth, maxWaitMs);
  const now = opts.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();
  let closed = false;

  function refill(b: Bucket, t: number) {
    if (t > b.last) {
      const tokens = b.tokens + (t - b.last) * b.perMs;
      b.tokens = Math.min(tokens, b.burst);
      b.last = t;
    } else if (b.tokens > b.burst) {
      b.tokens = b.burst; // the limit was lowered
    }
  }

  function serveQueue(b: Bucket, t: number) {
    for (const w of b.queue) {
      if (b.tokens < 1) return;
      b.tokens -= 1;
      b.queue.delete(w);
      if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
      b.counters.admitted++;
      b.counters.queued++;
      w.resolve({ ok: true, waitedMs: t - w.enqueuedAt });
    }
  }

  function schedule(b: Bucket) {
    if (b.timer !== undefined || b.queue.size === 0) return;
    const due = Math.max(1, Math.ceil((1 - b.tokens) / b.perMs));
    b.timer = setTimeout(onTimer, due, b);
  }

  function onTimer(b: Bucket) {
    b.timer = undefined;
    const t = now();
    refill(b, t);
    serveQueue(b, t);
    schedule(b);
  }

  function bucketFor(endpointId: string, perMs: number, burst: number, t: number): Bucket {
    let b = buckets.get(endpointId);
    if (b === undefined) {
      b = {
        tokens: burst,
        last: t,
        perMs,
        burst,
        queue: new Set(),
        timer: undefined,
        counters: zeroCounters(),
      };
      buckets.set(endpointId, b);
    } else {
      b.perMs = perMs;
      b.burst = burst;
    }
    return b;
  }

  function acquire(endpointId: string, limits: RateLimits, signal?: AbortSignal): Promise<AcquireResult> {
    if (closed) return CLOSED_NOW;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let perMs: number;
    let burst: number;
    try {
      ({ perMs, burst } = normalizeLimits(limits));
    } catch (err) {
      return Promise.reject(err);
    }
    const t = now();
    const b = bucketFor(endpointId, perMs, burst, t);
    refill(b, t);
    if (b.queue.size > 0) serveQueue(b, t); // in case the timer is running late

    if (b.queue.size === 0 && b.tokens >= 1) {
      b.tokens -= 1;
      b.counters.admitted++;
      return ADMITTED_NOW;
    }

    const position = b.queue.size + 1;
    const waitMs = (position - b.tokens) / perMs;
    if (position > maxQueueDepth || waitMs > maxWaitMs) {
      b.counters.rejected++;
      return Promise.resolve({ ok: false, retryAfterSeconds: retryAfterSeconds(waitMs) });
    }

    return new Promise<AcquireResult>((resolve, reject) => {
      const onAbort = signal
        ? () => {
            if (!b.queue.delete(waiter)) return;
            b.counters.aborted++;
            if (b.queue.size === 0 && b.timer !== undefined) {
              clearTimeout(b.timer);
              b.timer = undefined;
            }
            reject(abortReason(signal));
          }
        : undefined;
      const waiter: Waiter = { enqueuedAt: t, resolve, signal, onAbort };
      b.queue.add(waiter);
      if (onAbort) signal!.addEventListener('abort', onAbort, { once: true });
      schedule(b);
    });
  }

  return {
    backend: 'memory',
    acquire,
    async getCounters(endpointId) {
      const c = buckets.get(endpointId)?.counters;
      return c ? { ...c } : zeroCounters();
    },
    async reset(endpointId) {
      const b = buckets.get(endpointId);
      if (!b) return;
      buckets.delete(endpointId);
      dropQueue(b);
    },
    async close() {
      closed = true;
      for (const b of buckets.values()) dropQueue(b);
    },
  };

  /** Queued requests get a 429 (Retry-After 1) rather than hanging. */
  function dropQueue(b: Bucket) {
    if (b.timer !== undefined) clearTimeout(b.timer);
    b.timer = undefined;
    for (const w of b.queue) {
      if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
      b.counters.rejected++;
      w.resolve(CLOSED);
    }
    b.queue.clear();
  }
}
