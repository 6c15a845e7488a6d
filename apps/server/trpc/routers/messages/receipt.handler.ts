import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { ingestReceipts } from '../../../../../db/schema';
import { createReceiptSigner } from '../../../evidence/receipt';
import type { TenantContext } from '../../trpc';
import type { MessageIdInput } from './get.schema';

/**
 * The message's receipt again (Ed25519 is deterministic: same key, same bytes as the 200's), from
 * the ingest receipt row, so it is there from the moment of the 200, before archiving.
 */
export async function messageReceiptHandler({ ctx, input }: { ctx: TenantContext; input: MessageIdInput }) {
  const [m] = await ctx.db
    .select({
      id: ingestReceipts.id,
      externalId: ingestReceipts.externalId,
      endpointId: ingestReceipts.endpointId,
      tenantId: ingestReceipts.tenantId,
      rawSha256: ingestReceipts.rawSha256,
      receivedAt: ingestReceipts.receivedAt,
    })
    .from(ingestReceipts)
    .where(and(eq(ingestReceipts.id, input.id), eq(ingestReceipts.tenantId, ctx.principal.tenantId)));
  if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `message ${input.id} not found` });
  return createReceiptSigner(ctx.evidence)({ ...m, messageId: m.id });
}
