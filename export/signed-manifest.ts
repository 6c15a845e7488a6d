// EXPORT-MANIFEST.json is signed like a receipt: Ed25519 over the RFC 8785 form of every member
// but `signature`, so anyone with the archive's published key and any JCS library can check it.
import { fromBase64 } from '../evidence/hex';
import { jcs, jcsBytes } from '../evidence/jcs';
import { type PublishedKey, type SigningKey, verifyEd25519 } from '../evidence/signing-key';
import type { ExportManifest } from './layout';

export type UnsignedExportManifest = Omit<ExportManifest, 'signature' | 'key_id'>;

export function signExportManifest(m: UnsignedExportManifest, key: SigningKey): ExportManifest {
  const unsigned = { ...m, key_id: key.keyId };
  return { ...unsigned, signature: key.sign(jcsBytes(unsigned)).toString('base64') };
}

/**
 * The same signature for a manifest whose `files` are given as their JCS texts, one per line (the
 * bytes of a spool file, consumed): the signed bytes are assembled without an object per file.
 */
export function signSpooledExportManifest(
  m: Omit<UnsignedExportManifest, 'files'>,
  fileLines: Buffer,
  key: SigningKey,
): { key_id: string; signature: string } {
  const head = jcs({ ...m, files: [], key_id: key.keyId });
  // Unique: any other `"` in the canonical text is inside a string, where it is escaped.
  const marker = '"files":[';
  const at = head.indexOf(`${marker}]`) + marker.length;
  // One entry a line, each line ending in \n (never inside an entry: JSON escapes it): join by ','.
  for (let i = 0; i < fileLines.length; i++) if (fileLines[i] === 0x0a) fileLines[i] = 0x2c;
  const entries = fileLines.subarray(0, Math.max(0, fileLines.length - 1));
  const signed = Buffer.concat([Buffer.from(head.slice(0, at)), entries, Buffer.from(head.slice(at))]);
  return { key_id: key.keyId, signature: key.sign(signed).toString('base64') };
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
