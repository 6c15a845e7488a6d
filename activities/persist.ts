// The message row: inserted once per (endpoint, external_id), whatever the retries and races.
import { and, eq, ne } from 'drizzle-orm';
import { audit } from '../db/audit';
import { recordConflict } from '../db/conflicts';
import { messages } from '../db/schema';
import { metrics } from '../lib/metrics';
import type { ArchiveMessageInput } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { loadRawBody, parseOrFail } from './raw-body';

export type PersistResult =
  | { duplicate: false }
  | { duplicate: true; conflict: boolean; alreadyArchived: boolean };

export function createPersistActivities({ db, worm, log }: ActivityDeps) {
  return {
    /** Re-validates the stored bytes with the ingest schema (defence in depth; reprocessing). */
    async validate(input: ArchiveMessageInput): Promise<void> {
      parseOrFail(await loadRawBody(worm, input.raw));
    },

    async persist(input: ArchiveMessageInput): Promise<PersistResult> {
      const { payload, extra } = parseOrFail(await loadRawBody(worm, input.raw));
      const content = {
        occurredAt: new Date(payload.occurred_at),
        from: payload.from,
        to: payload.to,
        body: payload.body,
        extra,
        attachmentCount: payload.attachments.length,
        rawSha256: input.raw.sha256,
        rawSize: input.raw.size,
        requestId: input.requestId,
        sourceIp: input.sourceIp,
        workflowId: input.workflowId,
        status: 'stored' as const,
        error: null,
      };
      const inserted = await db
        .insert(messages)
        .values({ ...identity(input), ...content })
        // The unique (endpoint, external_id) index is the permanent dedup guarantee. A row left
        // 'failed' by an earlier run is the one case that is replaced: the producer sent again.
        .onConflictDoUpdate({
          target: [messages.endpointId, messages.externalId],
          set: { ...content, receivedAt: new Date(input.receivedAt), updatedAt: new Date() },
          setWhere: eq(messages.status, 'failed'),
        })
        .returning({ id: messages.id });
      if (inserted.length > 0) return { duplicate: false };

      const [existing] = await db
        .select({ rawSha256: messages.rawSha256, status: messages.status, requestId: messages.requestId })
        .from(messages)
        .where(and(eq(messages.endpointId, input.endpointId), eq(messages.externalId, input.externalId)));
      if (!existing) throw new Error('message row vanished after a conflicting insert');
      // Our own earlier attempt (a retried activity) is not a duplicate.
      if (existing.requestId === input.requestId) return { duplicate: false };
      const conflict = existing.rawSha256 !== input.raw.sha256;
      if (conflict) await recordConflict(db, input, existing.rawSha256, 'worker');
      log.info({ messageId: input.messageId, conflict }, 'duplicate message');
      return { duplicate: true, conflict, alreadyArchived: existing.status === 'archived' };
    },

    /** A non-retryable failure stays visible: the row says failed, and why. */
    async recordFailure(input: ArchiveMessageInput, reason: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(messages)
          .values({
            ...identity(input),
            rawSha256: input.raw.sha256,
            rawSize: input.raw.size,
            requestId: input.requestId,
            sourceIp: input.sourceIp,
            workflowId: input.workflowId,
            status: 'failed',
            error: reason,
          })
          .onConflictDoUpdate({
            target: [messages.endpointId, messages.externalId],
            set: { status: 'failed', error: reason, updatedAt: new Date() },
            setWhere: ne(messages.status, 'archived'),
          });
        await audit(tx, {
          tenantId: input.tenantId,
          actor: 'worker',
          action: 'message.failed',
          targetType: 'message',
          targetId: input.messageId,
          details: { externalId: input.externalId, reason, requestId: input.requestId },
        });
      });
      metrics.messageFailed();
    },

    async markArchived(input: ArchiveMessageInput, manifestKey: string): Promise<void> {
      const now = new Date();
      await db
        .update(messages)
        .set({ status: 'archived', manifestKey, archivedAt: now, updatedAt: now, error: null })
        .where(and(eq(messages.id, input.messageId), ne(messages.status, 'archived')));
      metrics.messageArchived();
    },
  };
}

/** The columns that identify a message and never change once written. */
function identity(input: ArchiveMessageInput) {
  return {
    id: input.messageId,
    tenantId: input.tenantId,
    endpointId: input.endpointId,
    externalId: input.externalId,
    receivedAt: new Date(input.receivedAt),
  };
}
