// Behaviour every limiter backend must show, written once and run against memory and Redis
// (memory.test.ts, redis.test.ts). Real time, small rates (10–20/s) to keep the suite fast.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../apps/server/ingest/rate-limit/disconnect';
import type {
  AcquireResult,
  RateLimiter,
  RateLimiterOptions,
  RateLimits,
} from '../../apps/server/ingest/rate-limit/types';

export type LimiterFactory = (opts: Omit<RateLimiterOptions, 'log'>) => RateLimiter;

export const silentLog = { warn() {} };

/**
 * Upper time bounds allow for the event loop's own lateness while the test ran (a busy test
 * machine delivers timers late; that is not the limiter's doing). Returns a function that stops
 * measuring and gives the worst delay seen, in ms.
 */
export function lagMeter(): () => number {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return () => {
    h.disable();
    return h.max / 1e6;
  };
}

export interface Outcome {
  i: number;
  /** ms since the run's origin */
  sentAt: number;
  doneAt: number;
  result: AcquireResult | 'aborted';
}

/** One acquire, timed against `t0`; an abort is an outcome, not a failure. */
export function timedAcquire(
  limiter: RateLimiter,
  endpointId: string,
  limits: RateLimits,
  t0: number,
  i: number,
  signal?: AbortSignal,
): Promise<Outcome> {
  const sentAt = performance.now() - t0;
  return limiter.acquire(endpointId, limits, signal).then(
    (result) => ({ i, sentAt, doneAt: performance.now() - t0, result }),
    (err) => {
      if (!isAbortError(err)) throw err;
      return { i, sentAt, doneAt: performance.now() - t0, result: 'aborted' as const };
    },
  );
}

/** Open-loop traffic: request n is sent at n / perSecond (the first at once), for durationMs. */
export async function drive(
  limiter: RateLimiter,
  endpointId: string,
  limits: RateLimits,
  o: { perSecond: number; durationMs: number; t0?: number; signal?: AbortSignal },
): Promise<{ outcomes: Promise<Outcome[]> }> {
  const t0 = o.t0 ?? performance.now();
  const all: Promise<Outcome>[] = [];
  if (o.signal) setMaxListeners(0, o.signal); // one signal for the whole run, by design
  const total = Math.round((o.durationMs * o.perSecond) / 1000);
  while (all.length < total) {
    const elapsed = performance.now() - t0;
    const due = Math.min(total, Math.floor((elapsed * o.perSecond) / 1000) + 1);
    while (all.length < due) all.push(timedAcquire(limiter, endpointId, limits, t0, all.length, o.signal));
    if (all.length < total) await sleep(2);
  }
  // Wrapped: the caller may act (e.g. abort the stragglers) before the last outcome is in.
  return { outcomes: Promise.all(all) };
}

export const admitted = (xs: Outcome[]) => xs.filter((x) => x.result !== 'aborted' && x.result.ok);
export const rejected = (xs: Outcome[]) =>
  xs.flatMap((x) => (x.result !== 'aborted' && !x.result.ok ? [x.result] : []));
export const waited = (x: Outcome) =>
  x.result !== 'aborted' && x.result.ok ? x.result.waitedMs : Number.NaN;

export function limiterScenarios(name: string, make: LimiterFactory) {
  describe(`${name}: shared behaviour`, () => {
    it('admits steady traffic at the rate without a single rejection', async () => {
      const limiter = make({});
      const id = randomUUID();
      const limits = { ratePerSecond: 20, burst: 5 };
      const out = await (await drive(limiter, id, limits, { perSecond: 20, durationMs: 2000 })).outcomes;
      expect(out.length).toBe(40);
      expect(rejected(out)).toEqual([]);
      expect(admitted(out).length).toBe(out.length);
      expect(await limiter.getCounters(id)).toMatchObject({ admitted: out.length, rejected: 0 });
      await limiter.close();
    });

    it('absorbs a burst of twice the capacity by queueing, in arrival order, within maxWaitMs', async () => {
      const maxWaitMs = 2000;
      const limiter = make({ maxWaitMs });
      const id = randomUUID();
      const limits = { ratePerSecond: 20, burst: 10 };
      const lag = lagMeter();
      const t0 = performance.now();
      const order: number[] = [];
      const out = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          timedAcquire(limiter, id, limits, t0, i).then((o) => {
            order.push(o.i);
            return o;
          }),
        ),
      );
      expect(admitted(out).length).toBe(20);
      expect(order).toEqual(out.map((o) => o.i)); // served first come, first served
      const waits = out.map(waited);
      const late = lag();
      // The first `burst` pass at once; the k-th waiter needs k tokens at 20/s: ~50 ms × k.
      for (const w of waits.slice(0, 10)) expect(w).toBeLessThan(30);
      waits.slice(10).forEach((w, k) => {
        expect(w).toBeGreaterThanOrEqual((k + 1) * 50 - 10);
        expect(w).toBeLessThan((k + 1) * 50 + 60 + late);
      });
      for (let k = 1; k < 20; k++) expect(out[k]!.doneAt).toBeGreaterThanOrEqual(out[k - 1]!.doneAt);
      expect(Math.max(...waits)).toBeLessThanOrEqual(maxWaitMs);
      expect(await limiter.getCounters(id)).toEqual({ admitted: 20, queued: 10, rejected: 0, aborted: 0 });
      await limiter.close();
    });

    it('holds sustained 3× traffic to the limit (±15%) and rejects the rest with a valid Retry-After', async () => {
      const maxWaitMs = 500;
      const limiter = make({ maxWaitMs });
      const id = randomUUID();
      const limits = { ratePerSecond: 20, burst: 10 };
      const stop = new AbortController();
      const lag = lagMeter();
      const run = await drive(limiter, id, limits, { perSecond: 60, durationMs: 3000, signal: stop.signal });
      stop.abort(); // whoever is still queued at the end gives up; no need to wait for them
      const out = await run.outcomes;
      const late = lag();
      expect(out.length).toBe(180);

      // Steady state: after the initial burst, admissions follow the refill rate.
      const inWindow = admitted(out).filter((o) => o.doneAt >= 1000 && o.doneAt < 3000).length;
      expect(inWindow).toBeGreaterThanOrEqual(40 * 0.85);
      expect(inWindow).toBeLessThanOrEqual(40 * 1.15);

      const refusals = rejected(out);
      expect(refusals.length).toBeGreaterThan(80);
      for (const r of refusals) {
        expect(Number.isInteger(r.retryAfterSeconds)).toBe(true);
        expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(r.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(maxWaitMs / 1000) + 1);
      }
      // Queue waits never exceed the bound.
      for (const o of admitted(out)) expect(waited(o)).toBeLessThanOrEqual(maxWaitMs + 60 + late);

      const c = await limiter.getCounters(id);
      expect(c.admitted + c.rejected + c.aborted).toBe(out.length);
      expect(c.rejected).toBe(refusals.length);
      expect(c.admitted).toBe(admitted(out).length);
      await limiter.close();
    });

    it('an aborted waiter gives its turn back: the next arrival is admitted one slot earlier', async () => {
      const limiter = make({});
      const id = randomUUID();
      const limits = { ratePerSecond: 10, burst: 1 };
      const lag = lagMeter();
      const t0 = performance.now();
      const first = await timedAcquire(limiter, id, limits, t0, 0);
      expect(waited(first)).toBe(0);
      const abortB = new AbortController();
      const a = timedAcquire(limiter, id, limits, t0, 1); // due ~100 ms
      const b = timedAcquire(limiter, id, limits, t0, 2, abortB.signal); // due ~200 ms
      const c = timedAcquire(limiter, id, limits, t0, 3); // due ~300 ms
      await sleep(20);
      abortB.abort();
      expect((await b).result).toBe('aborted');
      await sleep(10); // (Redis: the reservation goes back in one asynchronous round trip)
      const d = timedAcquire(limiter, id, limits, t0, 4); // ~300 ms from t0, not ~400 ms
      const [ra, rc, rd] = await Promise.all([a, c, d]);
      expect(admitted([ra!, rc!, rd!]).length).toBe(3);
      expect(rd!.doneAt).toBeGreaterThan(250);
      expect(rd!.doneAt).toBeLessThan(370 + lag());
      expect(await limiter.getCounters(id)).toEqual({ admitted: 4, queued: 3, rejected: 0, aborted: 1 });
      await limiter.close();
    });

    it('an aborted waiter frees its place in a full queue', async () => {
      const limiter = make({ maxQueueDepth: 2 });
      const id = randomUUID();
      const limits = { ratePerSecond: 10, burst: 1 };
      const t0 = performance.now();
      await timedAcquire(limiter, id, limits, t0, 0);
      const abortA = new AbortController();
      const a = timedAcquire(limiter, id, limits, t0, 1, abortA.signal);
      const b = timedAcquire(limiter, id, limits, t0, 2);
      const full = await timedAcquire(limiter, id, limits, t0, 3);
      expect(full.result).toEqual({ ok: false, retryAfterSeconds: 1 });
      abortA.abort();
      expect((await a).result).toBe('aborted');
      await sleep(10);
      const d = await timedAcquire(limiter, id, limits, t0, 4);
      expect(admitted([await b, d]).length).toBe(2);
      expect(waited(d)).toBeGreaterThan(50);
      expect(await limiter.getCounters(id)).toEqual({ admitted: 3, queued: 2, rejected: 1, aborted: 1 });
      await limiter.close();
    });

    it('rejects at once with the abort reason when the signal is already aborted', async () => {
      const limiter = make({});
      const gone = AbortSignal.abort();
      await expect(limiter.acquire(randomUUID(), { ratePerSecond: 1, burst: 1 }, gone)).rejects.toThrow(
        /abort/i,
      );
      await limiter.close();
    });

    it('a flooded endpoint does not slow down another one', async () => {
      const limiter = make({ maxWaitMs: 500 });
      const flooded = randomUUID();
      const quiet = randomUUID();
      const limits = { ratePerSecond: 20, burst: 5 };
      const stop = new AbortController();
      const [floodRun, quietRun] = await Promise.all([
        drive(limiter, flooded, limits, { perSecond: 100, durationMs: 1500, signal: stop.signal }),
        drive(limiter, quiet, limits, { perSecond: 10, durationMs: 1500 }),
      ]);
      stop.abort();
      const [flood, calm] = await Promise.all([floodRun.outcomes, quietRun.outcomes]);
      expect(rejected(flood).length).toBeGreaterThan(50);
      expect(admitted(calm).length).toBe(calm.length);
      for (const o of calm) expect(waited(o)).toBe(0);
      expect(await limiter.getCounters(quiet)).toEqual({
        admitted: calm.length,
        queued: 0,
        rejected: 0,
        aborted: 0,
      });
      await limiter.close();
    });

    it('close() answers queued requests with a retryable refusal', async () => {
      const limiter = make({});
      const id = randomUUID();
      const limits = { ratePerSecond: 1, burst: 1 };
      expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
      const queued = limiter.acquire(id, limits);
      await sleep(10);
      await limiter.close();
      expect(await queued).toEqual({ ok: false, retryAfterSeconds: 1 });
      expect(await limiter.acquire(id, limits)).toEqual({ ok: false, retryAfterSeconds: 1 });
    });
  });
}
