import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { type Endpoint, endpoints } from '../../../../../db/schema';
import type { SourceConfig } from '../../../../../lib/sources/config';
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
  const { id, customHmac, mapping, ...changes } = input;
  const row = await ctx.db.transaction(async (tx) => {
    const before = await findOwnedEndpoint(tx, ctx.principal.tenantId, id);
    const sourceConfig = nextSourceConfig(before, { customHmac, mapping });
    const [after] = await tx
      .update(endpoints)
      .set({ ...changes, ...(sourceConfig ? { sourceConfig } : {}), updatedAt: new Date() })
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
        changes: { ...changes, ...(sourceConfig ? { sourceConfig } : {}) },
      },
    });
    return after!;
  });
  return toEndpointView(row, ctx.secretBox, ctx.config.PUBLIC_BASE_URL);
}

/** The endpoint's new sourceConfig, or undefined if unchanged; settings must fit its source. */
function nextSourceConfig(
  before: Endpoint,
  { customHmac, mapping }: Pick<UpdateEndpointInput, 'customHmac' | 'mapping'>,
): SourceConfig | undefined {
  if (customHmac === undefined && mapping === undefined) return undefined;
  const bad = (message: string) => new TRPCError({ code: 'BAD_REQUEST', message });
  if (customHmac && before.source !== 'custom-hmac') throw bad("customHmac is for source 'custom-hmac' only");
  if (mapping !== undefined && before.source === 'comma')
    throw bad("source 'comma' takes the contract's payload as is; mapping is for presets");
  const { mapping: _old, ...rest } = before.sourceConfig;
  return {
    ...rest,
    ...(customHmac ? { customHmac } : {}),
    ...(mapping === null
      ? {}
      : mapping
        ? { mapping }
        : before.sourceConfig.mapping
          ? { mapping: before.sourceConfig.mapping }
          : {}),
  };
}
