import { eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import { findOwnedEndpoint } from './endpoint-view';
import type { EndpointIdInput } from './id.schema';

/** Soft delete: the URL stops resolving at once; archived messages and their records stay. */
export async function deleteEndpointHandler({ ctx, input }: { ctx: TenantContext; input: EndpointIdInput }) {
  await ctx.db.transaction(async (tx) => {
    const before = await findOwnedEndpoint(tx, ctx.principal.tenantId, input.id);
    const now = new Date();
    await tx
      .update(endpoints)
      .set({ deletedAt: now, enabled: false, updatedAt: now })
      .where(eq(endpoints.id, input.id));
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action: 'endpoint.deleted',
      targetType: 'endpoint',
      targetId: input.id,
      details: { name: before.name },
    });
  });
  return { id: input.id, deleted: true as const };
}
