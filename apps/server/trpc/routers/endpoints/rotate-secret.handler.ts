import { eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import { secretAad } from '../../../endpoint-secret';
import type { TenantContext } from '../../trpc';
import { newEndpointSecret } from './create.handler';
import { findOwnedEndpoint, toEndpointView } from './endpoint-view';
import type { EndpointIdInput } from './id.schema';

/** The old secret stops working with this commit: ingest reads the secret on every request. */
export async function rotateSecretHandler({ ctx, input }: { ctx: TenantContext; input: EndpointIdInput }) {
  const secret = newEndpointSecret();
  const row = await ctx.db.transaction(async (tx) => {
    await findOwnedEndpoint(tx, ctx.principal.tenantId, input.id);
    const now = new Date();
    const [after] = await tx
      .update(endpoints)
      .set({
        secretSealed: ctx.secretBox.seal(secret, secretAad(input.id)),
        secretRotatedAt: now,
        updatedAt: now,
      })
      .where(eq(endpoints.id, input.id))
      .returning();
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action: 'endpoint.secret_rotated',
      targetType: 'endpoint',
      targetId: input.id,
    });
    return after!;
  });
  return { endpoint: toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL), secret };
}
