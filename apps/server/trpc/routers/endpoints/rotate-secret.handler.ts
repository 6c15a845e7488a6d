import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import { secretAad } from '../../../endpoint-secret';
import { generateSecret, secretIssuedByTool, secretProblem } from '../../../ingest/sources/secrets';
import type { TenantContext } from '../../trpc';
import { findOwnedEndpoint, toEndpointView } from './endpoint-view';
import type { RotateSecretInput } from './rotate-secret.schema';

/** The old secret stops working with this commit: ingest reads the secret on every request. */
export async function rotateSecretHandler({ ctx, input }: { ctx: TenantContext; input: RotateSecretInput }) {
  const row = await ctx.db.transaction(async (tx) => {
    const before = await findOwnedEndpoint(tx, ctx.principal.tenantId, input.id);
    const problem = input.secret === undefined ? null : secretProblem(before.source, input.secret);
    if (problem) throw new TRPCError({ code: 'BAD_REQUEST', message: problem });
    if (input.secret === undefined && secretIssuedByTool(before.source))
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: `${before.source} issues its own secret: give the new one as secret`,
      });
    const secret = input.secret ?? generateSecret(before.source);
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
      details: { secretIssuedBy: input.secret ? 'tool' : 'archive' },
    });
    return { after: after!, secret };
  });
  return {
    endpoint: toEndpointView(row.after, ctx.secretBox, ctx.config.PUBLIC_BASE_URL),
    secret: row.secret,
  };
}
