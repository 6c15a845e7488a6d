import { eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import type { TenantContext } from '../../trpc';
import { findOwnedEndpoint, toEndpointView } from './endpoint-view';
import type { UpdateEndpointInput } from './update.schema';

export async function updateEndpointHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: UpdateEndpointInput;
}) {
  const { id, ...changes } = input;
  const row = await ctx.db.transaction(async (tx) => {
    const before = await findOwnedEndpoint(tx, ctx.principal.tenantId, id);
    const [after] = await tx
      .update(endpoints)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(endpoints.id, id))
      .returning();
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action:
        changes.enabled === undefined
          ? 'endpoint.updated'
          : changes.enabled
            ? 'endpoint.enabled'
            : 'endpoint.disabled',
      targetType: 'endpoint',
      targetId: id,
      details: {
        before: {
          name: before.name,
          ipAllowlist: before.ipAllowlist,
          enabled: before.enabled,
          rateLimit: { perSecond: before.rateLimitPerSecond, burst: before.rateLimitBurst },
        },
        changes,
      },
    });
    return after!;
  });
  return toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL);
}
