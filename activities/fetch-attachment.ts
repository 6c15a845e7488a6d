// URL attachments: downloaded server-side (SSRF-guarded, streamed into the WORM store) as a
// regular activity with heartbeats, so a dead worker's download is retried elsewhere promptly.
// When the retry budget runs out, the workflow records the attachment as fetch_failed and
// archives the message anyway: one unreachable file must not hold a message hostage forever.
import { Context } from '@temporalio/activity';
import { and, eq, ne } from 'drizzle-orm';
import { audit } from '../db/audit';
import { attachments } from '../db/schema';
import { escapeText, unescapeText } from '../db/storable-text';
import { metrics } from '../lib/metrics';
import type { ArchiveMessageInput } from '../workflows/types';
import { attachmentKey, retainUntil } from '../worm/keys';
import { WormConflictError } from '../worm/store';
import type { ActivityDeps } from './deps';
import { FetchPermanentError, FetchRetryableError, fetchToWorm } from './fetch';
import { loadMessageContext, parseOrFail } from './message-context';

export function createFetchAttachmentActivities({ db, worm, log, fetch }: ActivityDeps) {
  /**
   * Records the sealed download on the attachment's row, by position: the row may have been
   * replaced since it was read (a slower attempt of prepare settling the message's rows). A row
   * already stored by a concurrent attempt is left as it recorded it. Returns what the row holds.
   */
  const recordStored = async (
    input: ArchiveMessageInput,
    ordinal: number,
    sealed: { key: string; sha256: string; size: number; provenance: Record<string, unknown> },
  ): Promise<{ sha256: string; size: number }> => {
    const position = and(eq(attachments.messageId, input.messageId), eq(attachments.ordinal, ordinal));
    const [updated] = await db
      .update(attachments)
      .set({
        status: 'stored',
        sha256: sealed.sha256,
        size: sealed.size,
        wormKey: sealed.key,
        error: null,
        provenance: sealed.provenance,
        updatedAt: new Date(),
      })
      .where(and(position, ne(attachments.status, 'stored')))
      .returning({ sha256: attachments.sha256, size: attachments.size });
    if (updated) return { sha256: updated.sha256!, size: updated.size! };
    const [row] = await db
      .select({ sha256: attachments.sha256, size: attachments.size })
      .from(attachments)
      .where(and(position, eq(attachments.status, 'stored')));
    // Neither ours nor stored: the row is being replaced right now; the retry finds it settled.
    if (!row?.sha256 || row.size === null) throw new Error(`attachment ${ordinal}: its row changed; retried`);
    return { sha256: row.sha256, size: row.size };
  };

  return {
    async fetchAttachment(
      input: ArchiveMessageInput,
      ordinal: number,
    ): Promise<{ sha256: string; size: number }> {
      const [row] = await db
        .select()
        .from(attachments)
        .where(and(eq(attachments.messageId, input.messageId), eq(attachments.ordinal, ordinal)));
      if (!row?.url) throw new FetchPermanentError('bad_url', `attachment ${ordinal} has no URL`);
      if (row.status === 'stored' && row.sha256 && row.size !== null)
        return { sha256: row.sha256, size: row.size };
      // The producer's declared hash lives in the payload, the exact bytes we were sent.
      const { ctx: message, message: bytes } = await loadMessageContext(db, worm, input);
      const spec = parseOrFail(bytes).payload.attachments[ordinal];
      const key = attachmentKey(input.tenantId, input.messageId, input.rawSha256, ordinal);
      const until = retainUntil(message.receivedAt, message.retentionDays);
      // An earlier attempt may have sealed the download and stopped before recording it (killed,
      // or the database unreachable), or a concurrent one sealed it first. The sealed object is
      // the attachment: a second download could only bring the same bytes again, or other bytes
      // the key refuses (written once), which would record an attachment we hold as fetch_failed.
      const recordSealed = async () => {
        const sealed = await worm.head(key);
        if (!sealed) return undefined;
        if (sealed.retainUntil < until) await worm.extendRetention(key, until);
        const recorded = await recordStored(input, ordinal, {
          ...sealed,
          provenance: { sealedByEarlierAttempt: true },
        });
        log.info({ messageId: input.messageId, ordinal }, 'attachment already sealed by an earlier attempt');
        metrics.attachmentFetch('stored');
        return recorded;
      };
      const earlier = await recordSealed();
      if (earlier) return earlier;

      const ctx = Context.current();
      try {
        const result = await fetchToWorm({
          url: unescapeText(row.url),
          worm,
          key,
          retainUntil: until,
          // The payload's content_type and filename win; the response's headers are provenance.
          contentType: row.contentType,
          maxBytes: fetch.maxBytes,
          ...(spec?.sha256 ? { expectedSha256: spec.sha256.toLowerCase() } : {}),
          policy: fetch.policy,
          onProgress: (bytes) => ctx.heartbeat({ bytes }),
          signal: ctx.cancellationSignal,
        });
        const recorded = await recordStored(input, ordinal, {
          ...result,
          provenance: { ...result.provenance },
        });
        metrics.attachmentFetch('stored');
        return recorded;
      } catch (err) {
        if (err instanceof WormConflictError) {
          const sealed = await recordSealed();
          if (sealed) return sealed;
          // There, but not sealed yet (the local store between a put's two links): the attempt
          // sealing it finishes in moments; retried, this one then records it.
          throw new Error(`attachment ${ordinal}: another attempt is sealing it; retried`);
        }
        metrics.attachmentFetch(
          err instanceof FetchPermanentError
            ? 'permanent'
            : err instanceof FetchRetryableError
              ? 'retryable'
              : 'error',
        );
        if (err instanceof FetchRetryableError) {
          log.info(
            { messageId: input.messageId, ordinal, reason: err.reason },
            'attachment fetch will be retried',
          );
        }
        throw err; // mapped to its failure type in activities/failures.ts
      }
    },

    /** The retry budget is spent, or the failure is permanent: recorded, never silently dropped. */
    async markAttachmentFailed(input: ArchiveMessageInput, ordinal: number, failure: string): Promise<void> {
      const reason = escapeText(failure); // may quote the producer's URL
      await db.transaction(async (tx) => {
        await tx
          .update(attachments)
          .set({ status: 'fetch_failed', error: reason, updatedAt: new Date() })
          .where(and(eq(attachments.messageId, input.messageId), eq(attachments.ordinal, ordinal)));
        await audit(tx, {
          tenantId: input.tenantId,
          actor: 'worker',
          action: 'attachment.fetch_failed',
          targetType: 'message',
          targetId: input.messageId,
          details: { ordinal, reason, externalId: input.externalId },
        });
      });
    },
  };
}
