import { and, desc, eq, isNull } from 'drizzle-orm';
import { endpoints } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import { toEndpointView } from './endpoint-view';

export async function listEndpointsHandler({ ctx }: { ctx: TenantContext }) {
  const rows = await ctx.db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.tenantId, ctx.principal.tenantId), isNull(endpoints.deletedAt)))
    .orderBy(desc(endpoints.createdAt));
  return rows.map((r) => toEndpointView(r, ctx.secretBox, ctx.config.PUBLIC_BASE_URL));
}
