import { TRPCError } from '@trpc/server';
import { and, asc, eq } from 'drizzle-orm';
import { attachments, messageColumns, messages } from '../../../../../db/schema';
import { unescapeJson, unescapeText } from '../../../../../db/storable-text';
import { recordAccess } from '../../../auth/access-audit';
import type { TenantContext } from '../../trpc';
import type { MessageIdInput } from './get.schema';
import { toAttachmentView, toMessageSummary } from './message-view';

export async function getMessageHandler({ ctx, input }: { ctx: TenantContext; input: MessageIdInput }) {
  const [m] = await ctx.db
    .select(messageColumns())
    .from(messages)
    .where(and(eq(messages.id, input.id), eq(messages.tenantId, ctx.principal.tenantId)));
  if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `message ${input.id} not found` });
  const atts = await ctx.db
    .select()
    .from(attachments)
    .where(eq(attachments.messageId, m.id))
    .orderBy(asc(attachments.ordinal));
  await recordAccess(ctx.db, ctx.principal, 'message.viewed', { type: 'message', id: m.id });
  return {
    ...toMessageSummary(m),
    body: m.body === null ? null : unescapeText(m.body),
    extra: unescapeJson(m.extra) as typeof m.extra,
    // Which fields PostgreSQL could not hold as sent and are stored escaped (the values above
    // are decoded, exact; the raw bytes are the evidence). Empty when nothing was escaped.
    escapedFields: m.escapedFields.map(unescapeText),
    escapeScheme: m.escapeScheme,
    rawSha256: m.rawSha256,
    rawSize: m.rawSize,
    requestId: m.requestId,
    sourceIp: m.sourceIp,
    workflowId: m.workflowId,
    manifestKey: m.manifestKey,
    error: m.error === null ? null : unescapeText(m.error),
    attachments: atts.map(toAttachmentView),
  };
}
