// Signed receipts: what every 200 carries, so a producer holds proof of what we received and
// when, verifiable with the published key and any RFC 8785 + Ed25519 implementation.

import { fromBase64 } from './hex';
import { jcsBytes, serialiseString as str } from './jcs';
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

export type UnsignedReceipt = Omit<Receipt, 'signature'>;

export function unsignedReceipt(fields: ReceiptFields, keyId: string): UnsignedReceipt {
  return { v: RECEIPT_VERSION, ...pick(fields), key_id: keyId };
}

export function signReceipt(fields: ReceiptFields, key: SigningKey): Receipt {
  const unsigned = unsignedReceipt(fields, key.keyId);
  return { ...unsigned, signature: key.sign(receiptCanonicalBytes(unsigned)).toString('base64') };
}

/**
 * The JCS bytes of a receipt without its signature, for signing on the ack path: the members are
 * fixed, so they are written in RFC 8785 order directly (about a tenth of the general jcs()'s
 * cost). Only the strings need JCS's escaping. evidence/receipt.test.ts proves it equals jcs()
 * for hostile strings; verification keeps the general jcs() (receiptSigningInput).
 */
export function receiptCanonicalBytes(u: UnsignedReceipt): Buffer {
  if (u.v !== RECEIPT_VERSION) throw new Error(`receipt version ${u.v} is not ${RECEIPT_VERSION}`);
  return Buffer.from(
    `{"endpoint_id":${str(u.endpoint_id, '$.endpoint_id')},"external_id":${str(u.external_id, '$.external_id')}` +
      `,"key_id":${str(u.key_id, '$.key_id')},"message_id":${str(u.message_id, '$.message_id')}` +
      `,"raw_sha256":${str(u.raw_sha256, '$.raw_sha256')},"received_at":${str(u.received_at, '$.received_at')}` +
      `,"tenant_id":${str(u.tenant_id, '$.tenant_id')},"v":${RECEIPT_VERSION}}`,
    'utf8',
  );
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
