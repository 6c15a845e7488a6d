// Signed receipts: what every 200 carries, so a producer holds proof of what we received and
// when, verifiable with the published key and any RFC 8785 + Ed25519 implementation.

import { fromBase64 } from './hex';
import { jcsBytes } from './jcs';
import type { PublishedKey, SigningKey } from './signing-key';
import { verifyEd25519 } from './signing-key';

export const RECEIPT_VERSION = 1;

export interface ReceiptFields {
  message_id: string;
  external_id: string;
  endpoint_id: string;
  tenant_id: string;
  /** lowercase hex SHA-256 of the exact bytes received. */
  raw_sha256: string;
  /** RFC 3339, UTC, milliseconds. */
  received_at: string;
}

export interface Receipt extends ReceiptFields {
  v: typeof RECEIPT_VERSION;
  key_id: string;
  /** base64 Ed25519 signature over the JCS form of every other member. */
  signature: string;
}

export function signReceipt(fields: ReceiptFields, key: SigningKey): Receipt {
  const unsigned = { v: RECEIPT_VERSION, ...pick(fields), key_id: key.keyId } as const;
  return { ...unsigned, signature: key.sign(jcsBytes(unsigned)).toString('base64') };
}

/** The exact bytes a receipt's signature covers. */
export function receiptSigningInput(receipt: Receipt): Buffer {
  const { signature: _s, ...unsigned } = receipt;
  return jcsBytes(unsigned);
}

export type ReceiptCheck =
  | { ok: true }
  | { ok: false; reason: 'unknown_key' | 'bad_signature' | 'malformed' };

export function verifyReceipt(receipt: Receipt, keys: readonly PublishedKey[]): ReceiptCheck {
  if (receipt?.v !== RECEIPT_VERSION || typeof receipt.signature !== 'string')
    return { ok: false, reason: 'malformed' };
  const key = keys.find((k) => k.key_id === receipt.key_id);
  if (!key) return { ok: false, reason: 'unknown_key' };
  let sig: Buffer;
  try {
    sig = fromBase64(receipt.signature);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const ok = verifyEd25519(fromBase64(key.public_key), receiptSigningInput(receipt), sig);
  return ok ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

// Only the named fields are signed, whatever else the caller's object carries.
function pick(f: ReceiptFields): ReceiptFields {
  return {
    message_id: f.message_id,
    external_id: f.external_id,
    endpoint_id: f.endpoint_id,
    tenant_id: f.tenant_id,
    raw_sha256: f.raw_sha256,
    received_at: f.received_at,
  };
}
