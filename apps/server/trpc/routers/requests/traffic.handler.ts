// requests.traffic: an endpoint's answers over time (accepted, duplicate, refused by code) and
// ack latency percentiles, from the request log. Buckets without traffic are left out; the
// chart fills them. Accepted counts are as sampled (REQUEST_LOG_ACCEPTED_SAMPLE_RATE).
import { and, eq, gte, sql } from 'drizzle-orm';
import { requestLog } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import { type RequestTrafficInput, TRAFFIC_RANGES } from './traffic.schema';

export async function requestTrafficHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: RequestTrafficInput;
}) {
  const { hours, bucket } = TRAFFIC_RANGES[input.range];
  const since = new Date(Date.now() - hours * 3_600_000);
  const where = and(
    eq(requestLog.tenantId, ctx.principal.tenantId),
    eq(requestLog.endpointId, input.endpointId),
    gte(requestLog.at, since),
  );
  const t = sql<Date>`date_trunc(${sql.raw(`'${bucket}'`)}, ${requestLog.at})`;
  const rows = await ctx.db
    .select({ t, status: requestLog.status, code: requestLog.code, n: sql<number>`count(*)::int` })
    .from(requestLog)
    .where(where)
    .groupBy(t, requestLog.status, requestLog.code)
    .orderBy(t);
  const [latency] = await ctx.db
    .select({
      p50: sql<number | null>`percentile_cont(0.5) within group (order by ${requestLog.ackMs})`,
      p95: sql<number | null>`percentile_cont(0.95) within group (order by ${requestLog.ackMs})`,
      p99: sql<number | null>`percentile_cont(0.99) within group (order by ${requestLog.ackMs})`,
    })
    .from(requestLog)
    .where(and(where, eq(requestLog.status, 200)));

  const buckets = new Map<
    string,
    { t: string; accepted: number; duplicate: number; refused: Record<string, number> }
  >();
  const totals = { accepted: 0, duplicate: 0, refused: {} as Record<string, number> };
  for (const r of rows) {
    const key = new Date(r.t).toISOString();
    const b = buckets.get(key) ?? { t: key, accepted: 0, duplicate: 0, refused: {} };
    buckets.set(key, b);
    if (r.status === 200 && (r.code === 'accepted' || r.code === 'duplicate')) {
      b[r.code] += r.n;
      totals[r.code] += r.n;
    } else {
      b.refused[r.code] = (b.refused[r.code] ?? 0) + r.n;
      totals.refused[r.code] = (totals.refused[r.code] ?? 0) + r.n;
    }
  }
  const round = (v: number | null | undefined) => (v == null ? null : Math.round(Number(v) * 100) / 100);
  return {
    range: input.range,
    bucketSeconds: bucket === 'minute' ? 60 : 3600,
    from: since.toISOString(),
    buckets: [...buckets.values()],
    totals,
    ackMs: { p50: round(latency?.p50), p95: round(latency?.p95), p99: round(latency?.p99) },
  };
}
