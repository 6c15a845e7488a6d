import { and, count, eq, type SQL } from 'drizzle-orm';
import { messageStatusEnum, messages } from '../../../../../db/schema';
import { stuckMessageCount } from '../../../../../db/stuck';
import type { TenantContext } from '../../trpc';
import type { MessageCountsInput } from './counts.schema';

/** Messages by status, for the tenant or one of its endpoints, and how many are stuck. */
export async function messageCountsHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: MessageCountsInput;
}) {
  const where: SQL[] = [eq(messages.tenantId, ctx.principal.tenantId)];
  if (input.endpointId) where.push(eq(messages.endpointId, input.endpointId));
  const rows = await ctx.db
    .select({ status: messages.status, n: count() })
    .from(messages)
    .where(and(...where))
    .groupBy(messages.status);
  const counts = Object.fromEntries(messageStatusEnum.enumValues.map((s) => [s, 0])) as Record<
    (typeof messageStatusEnum.enumValues)[number],
    number
  >;
  for (const r of rows) counts[r.status] = Number(r.n);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const stuck = await stuckMessageCount(ctx.db, {
    tenantId: ctx.principal.tenantId,
    endpointId: input.endpointId,
    olderThanMs: ctx.config.STUCK_AFTER_MS,
  });
  // `stuck` overlaps received/stored (it is a subset of them), so it is not part of `total`.
  return { ...counts, total, stuck, stuckAfterMs: ctx.config.STUCK_AFTER_MS };
}
