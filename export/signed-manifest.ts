// EXPORT-MANIFEST.json is signed like a receipt: Ed25519 over the RFC 8785 form of every member
// but `signature`, so anyone with the archive's published key and any JCS library can check it.
import { open } from 'node:fs/promises';
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
 * The same signature for a manifest whose `files` are the JCS texts in `spoolFile`, one a line:
 * the signed bytes are read into one buffer (the only copy: Ed25519 signs the whole text at
 * once), without an object or a string per file.
 */
export async function signSpooledExportManifest(
  m: Omit<UnsignedExportManifest, 'files'>,
  spoolFile: string,
  key: SigningKey,
): Promise<{ key_id: string; signature: string }> {
  const canonical = jcs({ ...m, files: [], key_id: key.keyId });
  // Unique: any other `"` in the canonical text is inside a string, where it is escaped.
  const marker = '"files":[';
  const at = canonical.indexOf(`${marker}]`) + marker.length;
  const head = Buffer.from(canonical.slice(0, at));
  const tail = Buffer.from(canonical.slice(at));
  const fh = await open(spoolFile, 'r');
  try {
    const size = (await fh.stat()).size;
    // Lines end in \n (never inside an entry: JSON escapes it); the last one is dropped, the others
    // become the commas between entries.
    const body = Math.max(0, size - 1);
    const signed = Buffer.allocUnsafe(head.length + body + tail.length);
    head.copy(signed, 0);
    for (let got = 0; got < body; ) {
      const { bytesRead } = await fh.read(signed, head.length + got, body - got, got);
      if (bytesRead === 0) throw new Error(`${spoolFile} ended early`);
      got += bytesRead;
    }
    tail.copy(signed, head.length + body);
    for (let i = head.length; i < head.length + body; i++) if (signed[i] === 0x0a) signed[i] = 0x2c;
    return { key_id: key.keyId, signature: key.sign(signed).toString('base64') };
  } finally {
    await fh.close();
  }
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
