// A legal hold freezes every sealed object of a message beyond its retention until released
// (S3 Object Lock legal hold; the local store keeps the same flag). Applied to each object the
// manifest names, plus the manifest itself, and audited.
import { TRPCError } from '@trpc/server';
import { audit } from '../../../../../db/audit';
import { manifestKeys, parseManifest } from '../../../../../worm/manifest';
import type { TenantContext } from '../../trpc';
import type { SetLegalHoldInput } from './legal-hold.schema';
import { findOwnedMessage } from './owned-message';

export async function setLegalHoldHandler({ ctx, input }: { ctx: TenantContext; input: SetLegalHoldInput }) {
  const tenantId = ctx.principal.tenantId;
  const m = await findOwnedMessage(ctx.db, tenantId, input.id);
  if (!m.manifestKey) {
    // Nothing is sealed yet; a hold on half a record would be a false promise.
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'message is not archived yet; retry once it is',
    });
  }
  // The manifest says which objects belong to the message: the same list verify checks.
  const chunks: Buffer[] = [];
  for await (const chunk of await ctx.worm.get(m.manifestKey)) chunks.push(chunk as Buffer);
  const keys = [...manifestKeys(parseManifest(Buffer.concat(chunks))), m.manifestKey];
  for (const key of keys) await ctx.worm.setLegalHold(key, input.on);
  await audit(ctx.db, {
    tenantId,
    actor: ctx.principal.actor,
    sourceIp: ctx.principal.sourceIp,
    action: input.on ? 'message.legal_hold_on' : 'message.legal_hold_off',
    targetType: 'message',
    targetId: m.id,
    details: { objects: keys },
  });
  return { messageId: m.id, legalHold: input.on, objects: keys };
}
