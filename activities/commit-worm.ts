// Seals a message in the WORM store: the raw bytes, the canonical record, every stored
// attachment, and last a manifest that binds them by SHA-256. Deterministic, so a retry after a
// crash writes identical bytes and the store treats it as already done.
import { asc, eq, sql } from 'drizzle-orm';
import { type Db, preparedQuery } from '../db/client';
import { attachments, endpoints, messageColumns, messages } from '../db/schema';
import { attachmentFromStorable, fromStorable } from '../db/storable-text';
import { canonicalJson } from '../lib/canonical-json';
import { manifestKey, messageRecordKey, rawBodyKey, retainUntil } from '../worm/keys';
import { MANIFEST_VERSION, manifestBytes } from '../worm/manifest';
import type { ActivityDeps } from './deps';
import type { MessageContext } from './message-context';

/** The seal's reads, once per message: built once, prepared (db/client.ts preparedQuery). */
const sealQueries = (db: Db) =>
  preparedQuery(db, 'seal', (d) => ({
    message: d
      .select(messageColumns())
      .from(messages)
      .where(eq(messages.id, sql.placeholder('id')))
      .prepare('seal_message'),
    endpointName: d
      .select({ name: endpoints.name })
      .from(endpoints)
      .where(eq(endpoints.id, sql.placeholder('id')))
      .prepare('seal_endpoint_name'),
    attachments: d
      .select()
      .from(attachments)
      .where(eq(attachments.messageId, sql.placeholder('messageId')))
      .orderBy(asc(attachments.ordinal))
      .prepare('seal_attachments'),
  }));

export async function commitWorm(
  { db, worm }: Pick<ActivityDeps, 'db' | 'worm'>,
  input: MessageContext,
  rawBytes: Buffer,
): Promise<{ manifestKey: string; manifestSha256: string }> {
  const until = retainUntil(input.receivedAt, input.retentionDays);
  const opts = { retainUntil: until };

  const raw = await worm.put(rawBodyKey(input.tenantId, input.raw.sha256), rawBytes, {
    ...opts,
    contentType: 'application/json',
    expectedSha256: input.raw.sha256,
  });

  const [row] = await sealQueries(db).message.execute({ id: input.messageId });
  if (!row) throw new Error(`message ${input.messageId} not persisted yet`);
  const msg = fromStorable(row); // the record holds what the payload said, not its storage form
  const [endpoint] = await sealQueries(db).endpointName.execute({ id: input.endpointId });
  const record = canonicalJson({
    message_id: msg.id,
    external_id: msg.externalId,
    occurred_at: msg.occurredAt?.toISOString() ?? null,
    from: msg.from,
    to: msg.to,
    body: msg.body,
    extra: msg.extra,
  });
  const recordPut = await worm.put(messageRecordKey(input.tenantId, input.messageId), Buffer.from(record), {
    ...opts,
    contentType: 'application/json',
  });

  const atts = (await sealQueries(db).attachments.execute({ messageId: input.messageId })).map(
    attachmentFromStorable,
  );

  const manifest = manifestBytes({
    manifest_version: MANIFEST_VERSION,
    tenant_id: input.tenantId,
    endpoint: { id: input.endpointId, name: endpoint?.name ?? null, auth_mode: input.authMode },
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
