// The ingest 200's receipt. Takes the receipt's facts as inputs (never recomputes them), so a
// duplicate can be answered with the ORIGINAL received_at and hash.
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
