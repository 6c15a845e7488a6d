// messages.volume: how many messages match the Messages page's filter, per hour or day, by
// status. The filter is messages.search's own (searchConditions), so the chart and the result
// list always count the same messages. Buckets are UTC; empty ones are left out (the chart
// fills them).
import { TRPCError } from '@trpc/server';
import { and, count, sql } from 'drizzle-orm';
import { type messageStatusEnum, messages } from '../../../../../db/schema';
import { recordAccess } from '../../../auth/access-audit';
import type { TenantContext } from '../../trpc';
import { searchConditions } from './search.query';
import { type MessageVolumeInput, VOLUME_BUCKETS, VOLUME_MAX_BUCKETS } from './volume.schema';

type Status = (typeof messageStatusEnum.enumValues)[number];
type Counts = Record<Status, number> & { total: number };

const zero = (): Counts => ({ total: 0, received: 0, stored: 0, archived: 0, failed: 0 });

export async function messageVolumeHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: MessageVolumeInput;
}) {
  const { seconds, defaultSpanMs } = VOLUME_BUCKETS[input.bucket];
  // The window: the filter's own range on the charted date, else the default span up to now.
  const [fromIso, toIso] =
    input.by === 'received' ? [input.receivedFrom, input.receivedTo] : [input.occurredFrom, input.occurredTo];
  const to = toIso ? new Date(toIso) : new Date();
  const from = fromIso ? new Date(fromIso) : new Date(to.getTime() - defaultSpanMs);
  if ((to.getTime() - from.getTime()) / 1000 / seconds > VOLUME_MAX_BUCKETS) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `at most ${VOLUME_MAX_BUCKETS} buckets: narrow the range or use day buckets`,
    });
  }
  // occurred: sort_at (occurred_at, or received_at for a payload that never parsed), as search.
  const at = input.by === 'received' ? messages.receivedAt : messages.sortAt;
  // The unit is inlined (an enum value): a bound parameter would make SELECT and GROUP BY differ.
  const unit = sql.raw(`'${input.bucket}'`);
  const t = sql<string>`to_char(date_trunc(${unit}, ${at} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  const rows = await ctx.db
    .select({ t, status: messages.status, n: count() })
    .from(messages)
    .where(
      and(
        searchConditions(ctx.principal.tenantId, input),
        sql`${at} >= ${from.toISOString()}::timestamptz`,
        sql`${at} < ${to.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(t, messages.status)
    .orderBy(t);

  const buckets = new Map<string, Counts & { t: string }>();
  const totals = zero();
  for (const r of rows) {
    const b = buckets.get(r.t) ?? { t: r.t, ...zero() };
    buckets.set(r.t, b);
    const n = Number(r.n);
    b[r.status] += n;
    b.total += n;
    totals[r.status] += n;
    totals.total += n;
  }
  // Counts reveal no content, but a text or participant filter probes it: audited like a search.
  if (input.q?.trim() || input.participant || input.extra) {
    const { bucket: _b, by: _by, ...query } = input;
    await recordAccess(
      ctx.db,
      ctx.principal,
      'messages.searched',
      { type: 'message', id: null },
      { query, volume: true, count: totals.total, messageIds: [] },
    );
  }
  return {
    by: input.by,
    bucket: input.bucket,
    bucketSeconds: seconds,
    from: from.toISOString(),
    to: to.toISOString(),
    buckets: [...buckets.values()],
    totals,
  };
}
