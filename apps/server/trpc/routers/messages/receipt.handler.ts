import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { messages } from '../../../../../db/schema';
import { createReceiptSigner } from '../../../evidence/receipt';
import type { TenantContext } from '../../trpc';
import type { MessageIdInput } from './get.schema';

/** The message's receipt again (Ed25519 is deterministic: same key, same bytes as the 200's). */
export async function messageReceiptHandler({ ctx, input }: { ctx: TenantContext; input: MessageIdInput }) {
  const [m] = await ctx.db
    .select({
      id: messages.id,
      externalId: messages.externalId,
      endpointId: messages.endpointId,
      tenantId: messages.tenantId,
      rawSha256: messages.rawSha256,
      receivedAt: messages.receivedAt,
    })
    .from(messages)
    .where(and(eq(messages.id, input.id), eq(messages.tenantId, ctx.principal.tenantId)));
  if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `message ${input.id} not found` });
  return createReceiptSigner(ctx.evidence)({ ...m, messageId: m.id });
}
