// The shared limiter against the machine's real Redis (127.0.0.1:6379). Every test uses fresh
// endpoint ids; keys are deleted afterwards (and expire anyway). Nothing is flushed globally.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/helpers/ports';
import {
  admitted,
  drive,
  lagMeter,
  limiterScenarios,
  timedAcquire,
  waited,
} from '../../../../test/helpers/rate-limit-scenarios';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions, rateLimitKeys } from './index';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL);
const clients: Redis[] = [redis];
const endpointIds = new Set<string>();

function newClient(): Redis {
  const c = new Redis(REDIS_URL);
  clients.push(c);
  return c;
}

function recordingLog() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  return {
    warnings,
    log: { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }) },
  };
}

/** Remembers which endpoints a test touched, so their keys can be deleted at the end. */
function tracked(limiter: RateLimiter): RateLimiter {
  return {
    ...limiter,
    acquire(id, limits, signal) {
      endpointIds.add(id);
      return limiter.acquire(id, limits, signal);
    },
  };
}

// The behaviour tests measure the shared bucket, so a loaded test machine must not push them onto
// the local fallback: a generous Redis deadline here; the fallback tests below use the default 50 ms.
const scenarioLog = recordingLog();
const make = (opts: Omit<RateLimiterOptions, 'log'>, client: Redis = redis) =>
  tracked(
    createRateLimiter({
      ...opts,
      redis: client,
      log: scenarioLog.log,
      redisTimeoutMs: 1000,
      countersTtlMs: 600_000,
    }),
  );

afterAll(async () => {
  const keys = [...endpointIds].flatMap((id) => Object.values(rateLimitKeys(id)));
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});

limiterScenarios('redis', (opts) => make(opts));

describe('redis: shared state', () => {
  it('the scenarios above ran on Redis, without a single fallback', () => {
    expect(scenarioLog.warnings).toEqual([]);
    expect(make({}).backend).toBe('redis');
  });

  it('two instances on one Redis admit the limit between them (±15%)', async () => {
    const one = make({ maxWaitMs: 500 });
    const two = make({ maxWaitMs: 500 }, newClient());
    const id = randomUUID();
    const limits = { ratePerSecond: 20, burst: 10 };
    const stop = new AbortController();
    const t0 = performance.now();
    const o = { perSecond: 30, durationMs: 3000, t0, signal: stop.signal };
    const runs = await Promise.all([drive(one, id, limits, o), drive(two, id, limits, o)]);
    stop.abort();
    const [a, b] = await Promise.all(runs.map((r) => r.outcomes));
    const all = [...a!, ...b!];
    const inWindow = admitted(all).filter((x) => x.doneAt >= 1000 && x.doneAt < 3000).length;
    expect(inWindow).toBeGreaterThanOrEqual(40 * 0.85);
    expect(inWindow).toBeLessThanOrEqual(40 * 1.15);
    // Both drew from the one bucket (the split between them is not a contract), and both see
    // the same totals.
    expect(admitted(a!).length).toBeGreaterThan(0);
    expect(admitted(b!).length).toBeGreaterThan(0);
    // close() waits for the aborted stragglers' reservations to be handed back.
    await Promise.all([one.close(), two.close()]);
    const [c1, c2] = await Promise.all([one.getCounters(id), two.getCounters(id)]);
    expect(c1).toEqual(c2);
    expect(c1.admitted).toBe(admitted(all).length);
    expect(c1.admitted + c1.rejected + c1.aborted).toBe(all.length);
  });

  it('keeps its state under wa:rl:{<endpointId>}, with TTLs', async () => {
    const limiter = make({});
    const id = randomUUID();
    await limiter.acquire(id, { ratePerSecond: 20, burst: 10 });
    const { bucket, counters } = rateLimitKeys(id);
    expect(bucket).toBe(`wa:rl:{${id}}`);
    expect(counters).toBe(`wa:rl:stats:{${id}}`);
    // The bucket lives until it would have refilled: 1 token at 20/s = 50 ms, + 1 s margin.
    const bucketTtl = await redis.pttl(bucket);
    expect(bucketTtl).toBeGreaterThan(0);
    expect(bucketTtl).toBeLessThanOrEqual(1050);
    expect(Number(await redis.hget(bucket, 't'))).toBeCloseTo(9, 0);
    expect(await redis.hget(counters, 'admitted')).toBe('1');
    const countersTtl = await redis.pttl(counters);
    expect(countersTtl).toBeGreaterThan(500_000);
    expect(countersTtl).toBeLessThanOrEqual(600_000);
    await limiter.reset(id);
    expect(await redis.exists(bucket, counters)).toBe(0);
    await limiter.close();
  });

  it('falls back from EVALSHA to EVAL when Redis does not have the script', async () => {
    let evals = 0;
    const noScriptCache = new Proxy(redis, {
      get(target, prop) {
        if (prop === 'evalsha') return () => Promise.reject(new Error('NOSCRIPT No matching script.'));
        if (prop === 'eval') {
          return (...args: Parameters<Redis['eval']>) => {
            evals++;
            return target.eval(...args);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const { warnings, log } = recordingLog();
    const limiter = tracked(createRateLimiter({ redis: noScriptCache, log }));
    const id = randomUUID();
    expect(await limiter.acquire(id, { ratePerSecond: 20, burst: 1 })).toEqual({ ok: true, waitedMs: 0 });
    expect(evals).toBe(1);
    expect(await redis.hget(rateLimitKeys(id).counters, 'admitted')).toBe('1');
    expect(warnings).toEqual([]);
    await limiter.close();
  });
});

describe('redis: failures fall back to the local limiter', () => {
  it('Redis unreachable (closed port): acquire works locally, one warning', async () => {
    const dead = new Redis({ host: '127.0.0.1', port: await freePort(), maxRetriesPerRequest: 0 });
    dead.on('error', () => {});
    clients.push(dead);
    const { warnings, log } = recordingLog();
    const limiter = createRateLimiter({ redis: dead, log });
    const id = randomUUID();
    const limits = { ratePerSecond: 10, burst: 2 };
    const lag = lagMeter();
    const t0 = performance.now();
    const first = await timedAcquire(limiter, id, limits, t0, 0);
    expect(first.result).toEqual({ ok: true, waitedMs: 0 });
    expect(first.doneAt).toBeLessThan(150 + lag());
    // Still limited, locally: the burst is 2, the third waits ~100 ms for its token.
    expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
    const third = await timedAcquire(limiter, id, limits, t0, 2);
    expect(waited(third)).toBeGreaterThan(60);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/Redis unavailable/);
    expect(warnings[0]!.obj).toMatchObject({ op: 'acquire' });
    expect(await limiter.getCounters(id)).toEqual({ admitted: 3, queued: 1, rejected: 0, aborted: 0 });
    await limiter.close();
  });

  it('Redis hanging (accepts, never answers): each call gives up after ~50 ms', async () => {
    const sockets: Socket[] = [];
    const hole: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const port = (hole.address() as { port: number }).port;
    const stuck = new Redis({ host: '127.0.0.1', port });
    stuck.on('error', () => {});
    const { warnings, log } = recordingLog();
    const limiter = createRateLimiter({ redis: stuck, log, breakerMs: 0 });
    const id = randomUUID();
    for (let i = 0; i < 3; i++) {
      const lag = lagMeter();
      const t = performance.now();
      expect(await limiter.acquire(id, { ratePerSecond: 100, burst: 10 })).toEqual({ ok: true, waitedMs: 0 });
      const ms = performance.now() - t;
      expect(ms).toBeGreaterThanOrEqual(45);
      expect(ms).toBeLessThan(150 + 3 * lag()); // (timer, then I/O poll, then the local path: each may be late)
    }
    expect(warnings).toHaveLength(1); // throttled: one warning for three failures
    expect((warnings[0]!.obj.err as Error).name).toBe('RedisTimeoutError');
    await limiter.close();
    stuck.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hole.close(r));
  });

  it('Redis lost mid-run: local fallback at once, and Redis again once the breaker closes', async () => {
    const client = newClient();
    client.on('error', () => {});
    const { warnings, log } = recordingLog();
    const limiter = tracked(createRateLimiter({ redis: client, log, breakerMs: 300 }));
    const id = randomUUID();
    const limits = { ratePerSecond: 100, burst: 100 };
    const sharedAdmitted = async () => Number(await redis.hget(rateLimitKeys(id).counters, 'admitted'));

    for (let i = 0; i < 3; i++) expect((await limiter.acquire(id, limits)).ok).toBe(true);
    expect(await sharedAdmitted()).toBe(3);

    client.disconnect();
    const lag = lagMeter();
    let t = performance.now();
    expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
    expect(performance.now() - t).toBeLessThan(150 + lag()); // closed, or timed out after 50 ms
    expect(warnings).toHaveLength(1);
    const lag2 = lagMeter();
    t = performance.now();
    expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
    expect(performance.now() - t).toBeLessThan(10 + lag2()); // breaker open: Redis not even tried
    expect(await sharedAdmitted()).toBe(3);

    await client.connect();
    await sleep(350); // breaker open for 300 ms
    expect(await limiter.acquire(id, limits)).toEqual({ ok: true, waitedMs: 0 });
    expect(await sharedAdmitted()).toBe(4);
    // Totals: Redis's 4 plus the 2 this instance decided locally.
    expect((await limiter.getCounters(id)).admitted).toBe(6);
    expect(warnings).toHaveLength(1);
    await limiter.close();
  });
});
