// Attachments: inline ones are decoded and sealed here; URL ones are recorded and fetched by
// the fetch activity. Each is identified by its position in the payload, so retries upsert; its
// WORM key also names the bytes that declared it (worm/keys.ts), so a failed message sent again
// with other attachments never collides with what its earlier run sealed.
import { and, eq, inArray, ne, or } from 'drizzle-orm';
import { type Attachment, attachments } from '../db/schema';
import { escapeText } from '../db/storable-text';
import { sha256Hex } from '../lib/crypto';
import type { AttachmentSpec, Payload } from '../lib/payload';
import { attachmentKey, retainUntil } from '../worm/keys';
import { WormNotFoundError } from '../worm/store';
import type { ActivityDeps } from './deps';
import type { MessageContext } from './message-context';

/**
 * The attachment rows a message may already have when its prepare step runs: none (a new
 * message); an earlier run's, ours to settle (a failed message sent again or reprocessed, a retried
 * attempt); or rows only to reuse (an archived message's, listed by its sealed manifest).
 */
export type EarlierAttachments = 'none' | 'replace' | 'reuse';

/**
 * Seals inline attachments and records URL ones; returns the ordinals of URL attachments to fetch
 * (one recorded as stored is not downloaded again).
 */
export async function storeAttachments(
  deps: Pick<ActivityDeps, 'db' | 'worm'>,
  input: MessageContext,
  payload: Payload,
  earlier: EarlierAttachments,
): Promise<{ inline: number; urlOrdinals: number[] }> {
  const { db, worm } = deps;
  const until = retainUntil(input.receivedAt, input.retentionDays);
  const kept =
    earlier === 'none' ? new Set<number>() : await settleEarlier(deps, input, payload, earlier, until);
  let inline = 0;
  const urlOrdinals: number[] = [];
  for (const [ordinal, spec] of payload.attachments.entries()) {
    if (spec.content_base64 === undefined) urlOrdinals.push(ordinal);
    else inline++;
    if (kept.has(ordinal)) continue; // recorded exactly so by an earlier run (settleEarlier)
    const base = {
      tenantId: input.tenantId,
      messageId: input.messageId,
      ordinal,
      filename: escapeText(spec.filename),
      contentType: escapeText(spec.content_type),
    };
    if (spec.content_base64 === undefined) {
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

/**
 * Keeps the rows that record exactly what this payload declares at their position, stored: the
 * same source, name and type, and the same URL or the same inline bytes. Their objects are reused
 * (retention extended to this message's), so a reprocess or an identical resend neither downloads
 * nor seals again, and an archived message's manifest stays the one sealed. With 'replace', every
 * other row goes (positions beyond the count, other attachments, downloads that failed or never
 * finished: recorded again from this payload; their objects stay in WORM under retention, in no
 * manifest). Returns the positions kept.
 */
async function settleEarlier(
  { db, worm }: Pick<ActivityDeps, 'db' | 'worm'>,
  input: MessageContext,
  payload: Payload,
  earlier: 'replace' | 'reuse',
  until: Date,
): Promise<Set<number>> {
  const rows = await db.select().from(attachments).where(eq(attachments.messageId, input.messageId));
  const kept: Attachment[] = [];
  for (const row of rows) {
    if (!recordsExactly(row, payload.attachments[row.ordinal])) continue;
    try {
      await worm.extendRetention(row.wormKey!, until);
      kept.push(row);
    } catch (err) {
      if (!(err instanceof WormNotFoundError)) throw err; // its object is gone: recorded again
    }
  }
  if (earlier === 'replace') {
    const stale = rows.filter((row) => !kept.includes(row));
    const unfinished = stale.filter((row) => row.status !== 'stored').map((row) => row.id);
    const other = stale.filter((row) => row.status === 'stored').map((row) => row.id);
    // A row read unfinished may have been stored since (a slower attempt of this step racing
    // this run's download): only what is still unfinished goes.
    if (unfinished.length > 0 || other.length > 0) {
      await db
        .delete(attachments)
        .where(
          or(
            inArray(attachments.id, other),
            and(inArray(attachments.id, unfinished), ne(attachments.status, 'stored')),
          ),
        );
    }
  }
  return new Set(kept.map((row) => row.ordinal));
}

function recordsExactly(row: Attachment, spec: AttachmentSpec | undefined): boolean {
  if (!spec || row.status !== 'stored' || !row.wormKey || !row.sha256) return false;
  if (row.filename !== escapeText(spec.filename) || row.contentType !== escapeText(spec.content_type)) {
    return false;
  }
  if (spec.sha256 && spec.sha256.toLowerCase() !== row.sha256) return false;
  if (spec.content_base64 !== undefined) {
    return row.source === 'inline' && row.sha256 === sha256Hex(Buffer.from(spec.content_base64, 'base64'));
  }
  return row.source === 'url' && spec.url !== undefined && row.url === escapeText(spec.url);
}
