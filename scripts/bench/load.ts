// A closed-loop load generator: `concurrency` producers, each sending its next request as soon
// as the previous one is answered. Reports throughput and latency percentiles.
import { Pool } from 'undici';

export interface LoadRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  statuses: Record<number, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export async function runLoad(
  origin: string,
  requests: LoadRequest[],
  concurrency: number,
): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        const r = requests[i]!;
        const t0 = performance.now();
        const res = await pool.request({
          method: 'POST',
          path: r.url.pathname,
          headers: r.headers,
          body: r.body,
        });
        await res.body.text();
        latencies.push(performance.now() - t0);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    sent: requests.length,
    ok: statuses[200] ?? 0,
    statuses,
    seconds,
    perSecond: requests.length / seconds,
    p50: pct(50),
    p99: pct(99),
  };
}
