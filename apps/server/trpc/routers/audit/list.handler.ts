// The tenant's audit log (changes and reads), newest first, keyset-paginated by id.
import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { auditLog } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import type { ListAuditInput } from './list.schema';

export async function listAuditHandler({ ctx, input }: { ctx: TenantContext; input: ListAuditInput }) {
  const where: SQL[] = [eq(auditLog.tenantId, ctx.principal.tenantId)];
  if (input.actor) where.push(eq(auditLog.actor, input.actor));
  if (input.action) where.push(eq(auditLog.action, input.action));
  if (input.messageId) where.push(eq(auditLog.targetId, input.messageId));
  if (input.from) where.push(gte(auditLog.createdAt, new Date(input.from)));
  if (input.to) where.push(lte(auditLog.createdAt, new Date(input.to)));
  if (input.cursor) where.push(lt(auditLog.id, Number(input.cursor)));
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      actor: r.actor,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      sourceIp: r.sourceIp,
      details: r.details,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: rows.length > input.limit ? String(page.at(-1)!.id) : null,
  };
}
