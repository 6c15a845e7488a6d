// The in-process limiter (no Redis): the shared scenarios plus what only a real queue can do.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../../lib/logger';
import {
  lagMeter,
  limiterScenarios,
  silentLog,
  timedAcquire,
  waited,
} from '../../../../test/helpers/rate-limit-scenarios';
import { createRateLimiter } from './index';
import { createMemoryRateLimiter } from './memory';

limiterScenarios('memory', (opts) => createRateLimiter({ ...opts, log: silentLog }));

describe('memory: queue and hot path', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is the backend when no Redis client is given (and accepts a pino logger)', async () => {
    const limiter = createRateLimiter({ log: createLogger('silent') });
    expect(limiter.backend).toBe('memory');
    await limiter.close();
  });

  it('later waiters move up when one ahead of them aborts', async () => {
    const limiter = createMemoryRateLimiter();
    const id = randomUUID();
    const limits = { ratePerSecond: 10, burst: 1 };
    const lag = lagMeter();
    const t0 = performance.now();
    await limiter.acquire(id, limits);
    const abortA = new AbortController();
    const a = timedAcquire(limiter, id, limits, t0, 1, abortA.signal); // due ~100 ms
    const b = timedAcquire(limiter, id, limits, t0, 2); // due ~200 ms, moves up to ~100 ms
    const c = timedAcquire(limiter, id, limits, t0, 3); // due ~300 ms, moves up to ~200 ms
    await sleep(20);
    abortA.abort();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    const late = lag();
    expect(ra.result).toBe('aborted');
    expect(rb.doneAt).toBeGreaterThan(90);
    expect(rb.doneAt).toBeLessThan(160 + late);
    expect(rc.doneAt).toBeGreaterThan(190);
    expect(rc.doneAt).toBeLessThan(260 + late); // not ~300: it moved up
    await limiter.close();
  });

  it('takes a free token synchronously: no timer, one shared settled promise', async () => {
    const limiter = createMemoryRateLimiter();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const id = randomUUID();
    const limits = { ratePerSecond: 1, burst: 1000 };
    const first = limiter.acquire(id, limits);
    for (let i = 1; i < 1000; i++) expect(limiter.acquire(id, limits)).toBe(first);
    expect(spy).not.toHaveBeenCalled();
    expect(await first).toEqual({ ok: true, waitedMs: 0 });
    // The 1001st has to wait: now (and only now) a timer is armed.
    const queued = limiter.acquire(id, limits);
    expect(spy).toHaveBeenCalledTimes(1);
    await limiter.close();
    expect(await queued).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('follows the clock it is given (deterministic refill)', async () => {
    let clock = 0;
    const limiter = createMemoryRateLimiter({ now: () => clock, maxWaitMs: 0 });
    const id = randomUUID();
    const limits = { ratePerSecond: 100, burst: 3 };
    for (let i = 0; i < 3; i++) expect((await limiter.acquire(id, limits)).ok).toBe(true);
    expect(await limiter.acquire(id, limits)).toEqual({ ok: false, retryAfterSeconds: 1 });
    clock += 10; // exactly one token
    expect((await limiter.acquire(id, limits)).ok).toBe(true);
    expect((await limiter.acquire(id, limits)).ok).toBe(false);
    clock += 10_000; // refill caps at the burst
    for (let i = 0; i < 3; i++) expect((await limiter.acquire(id, limits)).ok).toBe(true);
    expect((await limiter.acquire(id, limits)).ok).toBe(false);
    // A lowered burst applies at once.
    clock += 10_000;
    const lowered = { ratePerSecond: 100, burst: 1 };
    expect((await limiter.acquire(id, lowered)).ok).toBe(true);
    expect((await limiter.acquire(id, lowered)).ok).toBe(false);
    expect(await limiter.getCounters(id)).toEqual({ admitted: 8, queued: 0, rejected: 4, aborted: 0 });
    await limiter.close();
  });

  it('retryAfterSeconds is the refill time of the whole queue plus one token, rounded up', async () => {
    const clock = 0;
    const limiter = createMemoryRateLimiter({ now: () => clock, maxQueueDepth: 5, maxWaitMs: 60_000 });
    const id = randomUUID();
    const limits = { ratePerSecond: 2, burst: 1 };
    await limiter.acquire(id, limits);
    const waiting = Array.from({ length: 5 }, () => limiter.acquire(id, limits));
    // 6th in line: needs 6 tokens at 2/s = 3 s.
    expect(await limiter.acquire(id, limits)).toEqual({ ok: false, retryAfterSeconds: 3 });
    await limiter.close();
    await Promise.all(waiting);
  });

  it('rejects invalid limits and options', async () => {
    const limiter = createMemoryRateLimiter();
    await expect(limiter.acquire('x', { ratePerSecond: 0, burst: 1 })).rejects.toThrow(RangeError);
    await expect(limiter.acquire('x', { ratePerSecond: Number.NaN, burst: 1 })).rejects.toThrow(RangeError);
    expect(() => createMemoryRateLimiter({ maxWaitMs: -1 })).toThrow(RangeError);
  });

  it('reset() forgets the bucket and the counters', async () => {
    const limiter = createMemoryRateLimiter({ maxWaitMs: 0 });
    const id = randomUUID();
    const limits = { ratePerSecond: 1, burst: 1 };
    await limiter.acquire(id, limits);
    expect((await limiter.acquire(id, limits)).ok).toBe(false);
    await limiter.reset(id);
    expect(await limiter.getCounters(id)).toEqual({ admitted: 0, queued: 0, rejected: 0, aborted: 0 });
    expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
    await limiter.close();
  });

  it('waitedMs reports the time actually spent queued', async () => {
    const limiter = createMemoryRateLimiter();
    const id = randomUUID();
    const limits = { ratePerSecond: 20, burst: 1 };
    const t0 = performance.now();
    await limiter.acquire(id, limits);
    const o = await timedAcquire(limiter, id, limits, t0, 1);
    expect(waited(o)).toBeGreaterThanOrEqual(45);
    expect(waited(o)).toBeLessThanOrEqual(o.doneAt - o.sentAt + 1);
    await limiter.close();
  });
});
