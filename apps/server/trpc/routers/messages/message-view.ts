import type { Attachment, MessageRecord } from '../../../../../db/schema';
import { attachmentFromStorable, previewText, unescapeJson } from '../../../../../db/storable-text';

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
    // Stored strings are decoded (db/storable-text.ts): the API shows what the producer sent.
    from: unescapeJson(m.from) as MessageRecord['from'],
    to: unescapeJson(m.to) as MessageRecord['to'],
    bodyPreview: m.body === null ? null : previewText(m.body, 200),
  };
}

export function toAttachmentView(stored: Attachment) {
  const a = attachmentFromStorable(stored);
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
