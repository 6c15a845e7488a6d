// EXPORT-MANIFEST.json is signed like a receipt: Ed25519 over the RFC 8785 form of every member
// but `signature`, so anyone with the archive's published key and any JCS library can check it.
import { fromBase64 } from '../evidence/hex';
import { jcsBytes } from '../evidence/jcs';
import { type PublishedKey, type SigningKey, verifyEd25519 } from '../evidence/signing-key';
import type { ExportManifest } from './layout';

export type UnsignedExportManifest = Omit<ExportManifest, 'signature' | 'key_id'>;

export function signExportManifest(m: UnsignedExportManifest, key: SigningKey): ExportManifest {
  const unsigned = { ...m, key_id: key.keyId };
  return { ...unsigned, signature: key.sign(jcsBytes(unsigned)).toString('base64') };
}

export function verifyExportManifest(
  m: ExportManifest,
  keys: readonly PublishedKey[],
): { ok: true } | { ok: false; reason: string } {
  const key = keys.find((k) => k.key_id === m.key_id);
  if (!key) return { ok: false, reason: `signed by unknown key ${m.key_id}` };
  const { signature, ...unsigned } = m;
  let sig: Buffer;
  try {
    sig = fromBase64(signature);
  } catch {
    return { ok: false, reason: 'signature is not base64' };
  }
  return verifyEd25519(fromBase64(key.public_key), jcsBytes(unsigned), sig)
    ? { ok: true }
    : { ok: false, reason: 'bad signature' };
}
