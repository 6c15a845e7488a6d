import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { messageColumns, messages } from '../../../../../db/schema';
import { recordAccess } from '../../../auth/access-audit';
import type { TenantContext } from '../../trpc';
import { decodeCursor, encodeCursor } from './cursor';
import type { ListMessagesInput } from './list.schema';
import { toMessageSummary } from './message-view';

export async function listMessagesHandler({ ctx, input }: { ctx: TenantContext; input: ListMessagesInput }) {
  const where: SQL[] = [eq(messages.tenantId, ctx.principal.tenantId)];
  if (input.endpointId) where.push(eq(messages.endpointId, input.endpointId));
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    const t = new Date(c.t);
    where.push(or(lt(messages.receivedAt, t), and(eq(messages.receivedAt, t), lt(messages.id, c.id)))!);
  }
  const rows = await ctx.db
    .select(messageColumns())
    .from(messages)
    .where(and(...where))
    .orderBy(desc(messages.receivedAt), desc(messages.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  // Summaries carry a body preview: listed like a search.
  await recordAccess(
    ctx.db,
    ctx.principal,
    'messages.listed',
    { type: 'message', id: null },
    {
      endpointId: input.endpointId ?? null,
      count: page.length,
      messageIds: page.map((m) => m.id),
    },
  );
  return {
    items: page.map(toMessageSummary),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}
