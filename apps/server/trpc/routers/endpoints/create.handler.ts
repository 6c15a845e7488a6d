import { randomUUID } from 'node:crypto';
import { audit } from '../../../../../db/audit';
import { endpoints } from '../../../../../db/schema';
import { randomToken, sha256Hex } from '../../../../../lib/crypto';
import { secretAad, tokenAad } from '../../../endpoint-secret';
import { generateSecret } from '../../../ingest/sources/secrets';
import type { TenantContext } from '../../trpc';
import type { CreateEndpointInput } from './create.schema';
import { toEndpointView } from './endpoint-view';

export async function createEndpointHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: CreateEndpointInput;
}) {
  const id = randomUUID();
  const token = randomToken(32);
  const secret = input.secret ?? generateSecret(input.source);
  const sourceConfig = {
    ...(input.customHmac ? { customHmac: input.customHmac } : {}),
    ...(input.mapping ? { mapping: input.mapping } : {}),
  };
  const row = await ctx.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(endpoints)
      .values({
        id,
        tenantId: ctx.principal.tenantId,
        name: input.name,
        // Presets all sign their deliveries: recorded as hmac in receipts and manifests.
        authMode: input.authMode ?? 'hmac',
        source: input.source,
        sourceConfig,
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
        authMode: created!.authMode,
        source: input.source,
        sourceConfig,
        secretIssuedBy: input.secret ? 'tool' : 'archive',
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
