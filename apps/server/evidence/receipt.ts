// The ingest 200's receipt. Takes the receipt's facts as inputs (never recomputes them), so a
// duplicate can be answered with the ORIGINAL received_at and hash.
import {
  type Receipt,
  type ReceiptFields,
  receiptCanonicalBytes,
  signReceipt,
  unsignedReceipt,
} from '../../../evidence/receipt';
import type { EvidenceDeps } from '../../../ledger/deps';
import { SigningThread } from './signing-thread';

export interface IngestReceiptInput {
  messageId: string;
  externalId: string;
  endpointId: string;
  tenantId: string;
  rawSha256: string;
  receivedAt: Date | string;
}

function fieldsOf(i: IngestReceiptInput): ReceiptFields {
  return {
    message_id: i.messageId,
    external_id: i.externalId,
    endpoint_id: i.endpointId,
    tenant_id: i.tenantId,
    raw_sha256: i.rawSha256,
    received_at: new Date(i.receivedAt).toISOString(),
  };
}

/** Signs on the calling thread (messages.receipt, tests): the key current at each call. */
export function createReceiptSigner(evidence: Pick<EvidenceDeps, 'keyring'>) {
  return function signIngestReceipt(i: IngestReceiptInput): Receipt {
    return signReceipt(fieldsOf(i), evidence.keyring.current);
  };
}

/** The ack path's signer; rejects with SigningUnavailableError when it cannot sign (→ 503). */
export interface ReceiptSigner {
  sign(i: IngestReceiptInput): Promise<Receipt>;
  close(): Promise<void>;
  /** The signing thread, when signing runs on one (RECEIPT_SIGNER=thread). */
  readonly thread?: SigningThread;
}

export type ReceiptSignerMode = 'thread' | 'inline';

export function openReceiptSigner(
  evidence: Pick<EvidenceDeps, 'keyring'>,
  mode: ReceiptSignerMode,
): ReceiptSigner {
  if (mode === 'inline') {
    const signInline = createReceiptSigner(evidence);
    return { sign: async (i) => signInline(i), close: async () => {} };
  }
  const thread = new SigningThread();
  return {
    thread,
    async sign(i) {
      // The key is read at each call, so a keyring swapped under a running server signs with
      // the new key from the next request on (the thread is sent each key once).
      const key = evidence.keyring.current;
      const unsigned = unsignedReceipt(fieldsOf(i), key.keyId);
      const signature = await thread.sign(key, receiptCanonicalBytes(unsigned));
      return { ...unsigned, signature: signature.toString('base64') };
    },
    close: () => thread.close(),
  };
}
