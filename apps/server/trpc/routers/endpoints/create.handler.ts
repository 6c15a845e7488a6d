import { randomUUID } from 'node:crypto';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import { randomToken, sha256Hex } from '../../../../../lib/crypto';
import { secretAad, tokenAad } from '../../../endpoint-secret';
import type { TenantContext } from '../../trpc';
import type { CreateEndpointInput } from './create.schema';
import { toEndpointView } from './endpoint-view';

export const newEndpointSecret = () => `whsec_${randomToken(32)}`;

export async function createEndpointHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: CreateEndpointInput;
}) {
  const id = randomUUID();
  const token = randomToken(32);
  const secret = newEndpointSecret();
  const row = await ctx.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(endpoints)
      .values({
        id,
        tenantId: ctx.principal.tenantId,
        name: input.name,
        authMode: input.authMode,
        ipAllowlist: input.ipAllowlist ?? [],
        ...(input.rateLimitPerSecond ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}),
        ...(input.rateLimitBurst ? { rateLimitBurst: input.rateLimitBurst } : {}),
        tokenHash: sha256Hex(token),
        tokenSealed: ctx.secretBox.seal(token, tokenAad(id)),
        secretSealed: ctx.secretBox.seal(secret, secretAad(id)),
      })
      .returning();
    await audit(tx, {
      tenantId: ctx.principal.tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action: 'endpoint.created',
      targetType: 'endpoint',
      targetId: id,
      details: {
        name: input.name,
        authMode: input.authMode,
        ipAllowlist: created!.ipAllowlist,
        rateLimit: { perSecond: created!.rateLimitPerSecond, burst: created!.rateLimitBurst },
      },
    });
    return created!;
  });
  ctx.log.info({ endpointId: id, tenantId: ctx.principal.tenantId }, 'endpoint created');
  // The only response that ever carries the secret.
  return { endpoint: toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL), secret };
}
