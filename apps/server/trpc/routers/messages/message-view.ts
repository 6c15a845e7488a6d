import type { Attachment, MessageRecord } from '../../../../../db/schema';

type SummaryFields =
  | 'id'
  | 'endpointId'
  | 'externalId'
  | 'status'
  | 'occurredAt'
  | 'receivedAt'
  | 'archivedAt'
  | 'from'
  | 'to'
  | 'body';

/** The list/search row of a message: everything but the full body and the evidence fields. */
export function toMessageSummary(m: Pick<MessageRecord, SummaryFields>) {
  return {
    id: m.id,
    endpointId: m.endpointId,
    externalId: m.externalId,
    status: m.status,
    occurredAt: m.occurredAt?.toISOString() ?? null,
    receivedAt: m.receivedAt.toISOString(),
    archivedAt: m.archivedAt?.toISOString() ?? null,
    from: m.from,
    to: m.to,
    bodyPreview: m.body === null ? null : m.body.slice(0, 200),
  };
}

export function toAttachmentView(a: Attachment) {
  return {
    ordinal: a.ordinal,
    filename: a.filename,
    contentType: a.contentType,
    source: a.source,
    url: a.url,
    size: a.size,
    sha256: a.sha256,
    status: a.status,
    error: a.error,
  };
}
