// Attachments: inline ones are decoded and sealed here; URL ones are recorded and fetched by
// the fetch activity. Each is identified by its position in the payload, so retries upsert; its
// WORM key also names the bytes that declared it (worm/keys.ts).
import { and, eq } from 'drizzle-orm';
import { attachments } from '../db/schema';
import { escapeText } from '../db/storable-text';
import type { Payload } from '../lib/payload';
import { attachmentKey, retainUntil } from '../worm/keys';
import type { ActivityDeps } from './deps';
import type { MessageContext } from './message-context';

/** Seals inline attachments; returns the ordinals of URL attachments left to fetch. */
export async function storeInlineAttachments(
  { db, worm }: Pick<ActivityDeps, 'db' | 'worm'>,
  input: MessageContext,
  payload: Payload,
): Promise<{ inline: number; urlOrdinals: number[] }> {
  const until = retainUntil(input.receivedAt, input.retentionDays);
  let inline = 0;
  const urlOrdinals: number[] = [];
  for (const [ordinal, spec] of payload.attachments.entries()) {
    const base = {
      tenantId: input.tenantId,
      messageId: input.messageId,
      ordinal,
      filename: escapeText(spec.filename),
      contentType: escapeText(spec.content_type),
    };
    if (spec.content_base64 === undefined) {
      urlOrdinals.push(ordinal);
      await db
        .insert(attachments)
        .values({
          ...base,
          source: 'url',
          url: spec.url === undefined ? null : escapeText(spec.url),
          status: 'pending',
        })
        .onConflictDoNothing();
      continue;
    }
    inline++;
    const bytes = Buffer.from(spec.content_base64, 'base64');
    const put = await worm.put(
      attachmentKey(input.tenantId, input.messageId, input.raw.sha256, ordinal),
      bytes,
      {
        contentType: spec.content_type,
        retainUntil: until,
        ...(spec.sha256 ? { expectedSha256: spec.sha256.toLowerCase() } : {}),
      },
    );
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
}
