// Seals a message in the WORM store: the raw bytes, the canonical record, every stored
// attachment, and last a manifest that binds them by SHA-256. Deterministic, so a retry after a
// crash writes identical bytes and the store treats it as already done.
import { asc, eq, sql } from 'drizzle-orm';
import { type Db, preparedQuery } from '../db/client';
import { attachments, endpoints, ingestReceipts, messageColumns, messages } from '../db/schema';
import { attachmentFromStorable, fromStorable } from '../db/storable-text';
import { canonicalJson } from '../lib/canonical-json';
import type { ArchiveMessageInput } from '../workflows/types';
import { manifestKey, messageRecordKey, rawBodyKey, retainUntil } from '../worm/keys';
import { MANIFEST_VERSION, manifestBytes } from '../worm/manifest';
import type { WormStore } from '../worm/store';
import type { ActivityDeps } from './deps';
import { contextOf, receiptOrFail, verifiedRawBytes } from './message-context';

/** The seal's reads, built once, prepared (db/client.ts preparedQuery). */
const sealQueries = (db: Db) =>
  preparedQuery(db, 'seal', (d) => ({
    // The receipt (with the bytes), the message row and the endpoint's name in one round trip.
    context: d
      .select({ receipt: ingestReceipts, message: messageColumns(), endpointName: endpoints.name })
      .from(ingestReceipts)
      .leftJoin(messages, eq(messages.id, ingestReceipts.id))
      .leftJoin(endpoints, eq(endpoints.id, ingestReceipts.endpointId))
      .where(eq(ingestReceipts.id, sql.placeholder('id')))
      .prepare('seal_context'),
    attachments: d
      .select()
      .from(attachments)
      .where(eq(attachments.messageId, sql.placeholder('messageId')))
      .orderBy(asc(attachments.ordinal))
      .prepare('seal_attachments'),
  }));

/** What a seal is made from: the receipt's context and bytes, the stored row, the endpoint's name. */
export async function loadSealContext(db: Db, worm: WormStore, input: ArchiveMessageInput) {
  const [found] = await sealQueries(db).context.execute({ id: input.messageId });
  const row = receiptOrFail(found, input);
  const raw = await verifiedRawBytes(worm, row.receipt, input);
  if (!row.message) throw new Error(`message ${input.messageId} not persisted yet`);
  return { ctx: contextOf(row.receipt), raw, message: row.message, endpointName: row.endpointName };
}

export async function commitWorm(
  { db, worm }: Pick<ActivityDeps, 'db' | 'worm'>,
  { ctx: input, raw: rawBytes, message: row, endpointName }: Awaited<ReturnType<typeof loadSealContext>>,
): Promise<{ manifestKey: string; manifestSha256: string }> {
  const until = retainUntil(input.receivedAt, input.retentionDays);
  const opts = { retainUntil: until };

  const msg = fromStorable(row); // the record holds what the payload said, not its storage form
  const record = canonicalJson({
    message_id: msg.id,
    external_id: msg.externalId,
    occurred_at: msg.occurredAt?.toISOString() ?? null,
    from: msg.from,
    to: msg.to,
    body: msg.body,
    extra: msg.extra,
  });
  // The raw bytes, the record and the attachments' rows at once: only the manifest must come last.
  const [raw, recordPut, atts] = await allSettledOrThrow([
    worm.put(rawBodyKey(input.tenantId, input.raw.sha256), rawBytes, {
      ...opts,
      contentType: 'application/json',
      expectedSha256: input.raw.sha256,
    }),
    worm.put(messageRecordKey(input.tenantId, input.messageId), Buffer.from(record), {
      ...opts,
      contentType: 'application/json',
    }),
    // Rows exist only for declared attachments (persist.ts): most messages skip the round trip.
    row.attachmentCount > 0
      ? sealQueries(db)
          .attachments.execute({ messageId: input.messageId })
          .then((rows) => rows.map(attachmentFromStorable))
      : Promise.resolve([]),
  ] as const);

  const manifest = manifestBytes({
    manifest_version: MANIFEST_VERSION,
    tenant_id: input.tenantId,
    endpoint: { id: input.endpointId, name: endpointName, auth_mode: input.authMode },
    message_id: input.messageId,
    external_id: input.externalId,
    workflow_id: input.workflowId,
    request_id: input.requestId,
    source_ip: input.sourceIp,
    received_at: new Date(input.receivedAt).toISOString(),
    retain_until: until.toISOString(),
    raw_body: { key: raw.key, sha256: raw.sha256, size: raw.size },
    record: { key: recordPut.key, sha256: recordPut.sha256, size: recordPut.size },
    attachments: atts.map((a) => ({
      ordinal: a.ordinal,
      filename: a.filename,
      content_type: a.contentType,
      source: a.source,
      url: a.url,
      status: a.status,
      key: a.wormKey,
      sha256: a.sha256,
      size: a.size,
      error: a.error,
      provenance: a.provenance,
    })),
  });
  const put = await worm.put(manifestKey(input.tenantId, input.messageId), manifest, {
    ...opts,
    contentType: 'application/json',
  });
  // The manifest's hash is the message's leaf in the tenant's transparency log.
  return { manifestKey: put.key, manifestSha256: put.sha256 };
}

/**
 * Promise.all that lets every promise settle before it throws: no put still running in the
 * background once the activity has failed (its retry would race it for the same key).
 */
async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
