// The ingest 200's receipt. Takes the receipt's facts as inputs (never recomputes them), so a
// duplicate can be answered with the ORIGINAL received_at and hash.
import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { messages } from '../../../db/schema';
import { type Receipt, signReceipt } from '../../../evidence/receipt';
import type { EvidenceDeps } from '../../../ledger/deps';

export interface IngestReceiptInput {
  messageId: string;
  externalId: string;
  endpointId: string;
  tenantId: string;
  rawSha256: string;
  receivedAt: Date | string;
}

export function createReceiptSigner(evidence: Pick<EvidenceDeps, 'keyring'>) {
  return function signIngestReceipt(i: IngestReceiptInput): Receipt {
    return signReceipt(
      {
        message_id: i.messageId,
        external_id: i.externalId,
        endpoint_id: i.endpointId,
        tenant_id: i.tenantId,
        raw_sha256: i.rawSha256,
        received_at: new Date(i.receivedAt).toISOString(),
      },
      evidence.keyring.current,
    );
  };
}

/**
 * For a duplicate: the stored message's received_at and hash, so the receipt is the original's.
 * (Until the ingest receipt row lands, a duplicate of a message still in flight has no row yet
 * and gets this request's values.)
 */
export async function originalReceiptInput(db: Db, current: IngestReceiptInput): Promise<IngestReceiptInput> {
  const [row] = await db
    .select({ receivedAt: messages.receivedAt, rawSha256: messages.rawSha256 })
    .from(messages)
    .where(eq(messages.id, current.messageId));
  return row ? { ...current, receivedAt: row.receivedAt, rawSha256: row.rawSha256 } : current;
}
