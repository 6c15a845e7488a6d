// Attachments: inline ones are decoded and sealed here; URL ones are recorded and fetched by
// the fetch activity. Each is identified by its position in the payload, so retries upsert.
import { and, eq } from 'drizzle-orm';
import { attachments } from '../db/schema';
import type { ArchiveMessageInput } from '../workflows/types';
import { attachmentKey, retainUntil } from '../worm/keys';
import type { ActivityDeps } from './deps';
import { loadMessage } from './raw-body';
import { messageRetentionDays } from './tenant';

export function createAttachmentActivities({ db, worm }: ActivityDeps) {
  return {
    /** Seals inline attachments; returns the ordinals of URL attachments left to fetch. */
    async storeInlineAttachments(
      input: ArchiveMessageInput,
    ): Promise<{ inline: number; urlOrdinals: number[] }> {
      const { payload } = await loadMessage(worm, input);
      const until = retainUntil(input.receivedAt, await messageRetentionDays(db, input));
      let inline = 0;
      const urlOrdinals: number[] = [];
      for (const [ordinal, spec] of payload.attachments.entries()) {
        const base = {
          tenantId: input.tenantId,
          messageId: input.messageId,
          ordinal,
          filename: spec.filename,
          contentType: spec.content_type,
        };
        if (spec.content_base64 === undefined) {
          urlOrdinals.push(ordinal);
          await db
            .insert(attachments)
            .values({ ...base, source: 'url', url: spec.url ?? null, status: 'pending' })
            .onConflictDoNothing();
          continue;
        }
        inline++;
        const bytes = Buffer.from(spec.content_base64, 'base64');
        const put = await worm.put(attachmentKey(input.tenantId, input.messageId, ordinal), bytes, {
          contentType: spec.content_type,
          retainUntil: until,
          ...(spec.sha256 ? { expectedSha256: spec.sha256.toLowerCase() } : {}),
        });
        await db
          .insert(attachments)
          .values({
            ...base,
            source: 'inline',
            size: put.size,
            sha256: put.sha256,
            status: 'stored',
            wormKey: put.key,
          })
          .onConflictDoUpdate({
            target: [attachments.messageId, attachments.ordinal],
            set: {
              size: put.size,
              sha256: put.sha256,
              status: 'stored',
              wormKey: put.key,
              updatedAt: new Date(),
            },
            setWhere: and(eq(attachments.messageId, input.messageId), eq(attachments.ordinal, ordinal)),
          });
      }
      return { inline, urlOrdinals };
    },
  };
}
