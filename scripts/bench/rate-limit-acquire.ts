// acquire() cost, memory and Redis, against baselines measured in the same run.
//   node --import tsx scripts/bench/rate-limit-acquire.ts   [REDIS_URL=redis://127.0.0.1:6379]
// Limits are set so high that every call is admitted at once: this measures the admission path
// (the one every request takes), not the waiting. Latency: one call at a time; throughput: both
// one at a time and with 64 calls in flight.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRateLimiter, rateLimitKeys } from '../../apps/server/ingest/rate-limit';
import { ACQUIRE } from '../../apps/server/ingest/rate-limit/redis-scripts';
import type { AcquireResult, RateLimits } from '../../apps/server/ingest/rate-limit/types';
import { median } from './stats';

const OPEN: RateLimits = { ratePerSecond: 1e9, burst: 1e9 };
const CONCURRENCY = 64;
const log = { warn: (obj: Record<string, unknown>, msg: string) => console.warn(msg, obj) };

type Call = () => Promise<unknown>;

interface Row {
  name: string;
  seqOpsPerSec: number;
  p50us: number;
  p99us: number;
  concOpsPerSec: number;
}

async function measure(name: string, call: Call, n: number): Promise<Row> {
  for (let i = 0; i < Math.min(n / 10, 5000); i++) await call(); // warm-up (JIT, script cache)
  const lat = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    lat[i] = performance.now() - t;
  }
  const seqMs = performance.now() - start;
  lat.sort();
  const pct = (p: number) => lat[Math.min(n - 1, Math.floor(n * p))]! * 1000;

  let next = 0;
  const worker = async () => {
    while (next++ < n) await call();
  };
  const cStart = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const concMs = performance.now() - cStart;
  return {
    name,
    seqOpsPerSec: n / (seqMs / 1000),
    p50us: pct(0.5),
    p99us: pct(0.99),
    concOpsPerSec: n / (concMs / 1000),
  };
}

function print(rows: Row[]) {
  const fmt = (x: number, d = 0) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `${'path'.padEnd(44)} ${'ops/s (1 in flight)'.padStart(20)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${`ops/s (${CONCURRENCY} in flight)`.padStart(22)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)} ${fmt(r.seqOpsPerSec).padStart(20)} ${fmt(r.p50us, 2).padStart(9)} ${fmt(r.p99us, 2).padStart(9)} ${fmt(r.concOpsPerSec).padStart(22)}`,
    );
  }
}

/** Each path measured ROUNDS times, interleaved with the others; the median round is reported. */
const ROUNDS = 3;

async function rounds(cases: [string, Call][], n: number): Promise<Row[]> {
  const results = new Map<string, Row[]>(cases.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, call] of cases) results.get(name)!.push(await measure(name, call, n));
  }
  return cases.map(([name]) => {
    const rs = results.get(name)!;
    return {
      name,
      seqOpsPerSec: median(rs.map((x) => x.seqOpsPerSec)),
      p50us: median(rs.map((x) => x.p50us)),
      p99us: median(rs.map((x) => x.p99us)),
      concOpsPerSec: median(rs.map((x) => x.concOpsPerSec)),
    };
  });
}

async function main() {
  const rows: Row[] = [];
  const admitted: AcquireResult = { ok: true, waitedMs: 0 };
  const id = randomUUID();

  // In process.
  const N_MEM = 300_000;
  const memory = createRateLimiter({ log });
  rows.push(
    ...(await rounds(
      [
        ['baseline: no limiter (async no-op)', async () => admitted],
        ['memory: acquire()', () => memory.acquire(id, OPEN)],
        ['baseline: new AbortController() per call', async () => new AbortController().signal],
        [
          'memory: acquire() + new AbortSignal per call',
          () => memory.acquire(id, OPEN, new AbortController().signal),
        ],
      ],
      N_MEM,
    )),
  );
  await memory.close();

  // Redis.
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.ping();
  } catch (err) {
    console.warn(`Redis at ${url} unavailable, Redis rows skipped:`, (err as Error).message);
    redis.disconnect();
    print(rows);
    return;
  }
  const N_REDIS = 20_000;
  const noop = 'return 1';
  const noopSha = (await redis.script('LOAD', noop)) as string;
  const shared = createRateLimiter({ redis, log });
  const rawKeys = rateLimitKeys(randomUUID());
  await redis.script('LOAD', ACQUIRE.lua);
  rows.push(
    ...(await rounds(
      [
        ['baseline: Redis PING round trip', () => redis.ping()],
        ['baseline: Redis EVALSHA of `return 1`', () => redis.evalsha(noopSha, 0)],
        [
          '(the acquire script alone, raw EVALSHA)',
          () => redis.evalsha(ACQUIRE.sha, 2, rawKeys.bucket, rawKeys.counters, 1e9, 1e9, 1000, 2000, 60_000),
        ],
        ['redis: acquire()', () => shared.acquire(id, OPEN)],
      ],
      N_REDIS,
    )),
  );
  const c = await shared.getCounters(id);
  await shared.close();
  const { bucket, counters } = rateLimitKeys(id);
  await redis.del(bucket, counters, rawKeys.bucket, rawKeys.counters);
  await redis.quit();

  print(rows);
  console.log(
    `\nredis counters after the run: admitted=${c.admitted} queued=${c.queued} rejected=${c.rejected}` +
      ` (every call went through Redis: ${c.admitted === ROUNDS * (Math.min(N_REDIS / 10, 5000) + 2 * N_REDIS)})`,
  );
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
}

await main();
