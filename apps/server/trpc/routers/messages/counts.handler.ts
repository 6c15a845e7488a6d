import { and, count, eq, type SQL } from 'drizzle-orm';
import { backlogByTenant } from '../../../../../db/receipts';
import { messageStatusEnum, messages } from '../../../../../db/schema';
import { stuckMessageCount } from '../../../../../db/stuck';
import type { TenantContext } from '../../trpc';
import type { MessageCountsInput } from './counts.schema';

/**
 * Messages by status, for the tenant or one of its endpoints; the backlog (acknowledged receipts
 * not yet archived: a message is counted by status only once its row is written); and how many
 * of those are stuck.
 */
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
  const [backlog] = await backlogByTenant(ctx.db, ctx.principal.tenantId, input.endpointId);
  const stuck = await stuckMessageCount(ctx.db, {
    tenantId: ctx.principal.tenantId,
    endpointId: input.endpointId,
    olderThanMs: ctx.config.STUCK_AFTER_MS,
  });
  const oldest = backlog?.oldestReceivedAt ?? null;
  return {
    ...counts,
    total,
    // A subset of the backlog: not part of `total`.
    stuck,
    stuckAfterMs: ctx.config.STUCK_AFTER_MS,
    backlog: {
      messages: backlog?.messages ?? 0,
      bytes: backlog?.bytes ?? 0,
      oldestReceivedAt: oldest?.toISOString() ?? null,
      oldestAgeSeconds: oldest ? Math.max(0, Math.round((Date.now() - oldest.getTime()) / 1000)) : null,
    },
  };
}
