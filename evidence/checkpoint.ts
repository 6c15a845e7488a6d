// Checkpoints (signed tree heads) in the C2SP formats, so standard tooling can read them:
//   c2sp.org/tlog-checkpoint  body: origin, tree size, base64 root hash, one per line;
//   c2sp.org/signed-note      "— <key name> base64(key id ‖ Ed25519 signature)" lines after a
//                             blank line; key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4];
//   c2sp.org/tlog-proof       an inclusion proof bundled with the checkpoint it proves into.
import { createHash } from 'node:crypto';
import { fromBase64, HASH_SIZE } from './hex';
import { type SigningKey, verifyEd25519 } from './signing-key';

const ED25519_SIG_TYPE = 0x01;
const SIG_PREFIX = '\u2014 ';
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
}

export interface NoteVerifier {
  name: string;
  publicKey: Uint8Array;
}

export class NoteError extends Error {
  override name = 'NoteError';
}

function checkKeyName(name: string): void {
  // signed-note: a name is non-empty UTF-8 without whitespace or '+'.
  if (name.length === 0 || /[\s+]/u.test(name))
    throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
}

export function noteKeyId(name: string, publicKey: Uint8Array): Buffer {
  checkKeyName(name);
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_SIG_TYPE]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

/** The verifier key string Go's golang.org/x/mod/sumdb/note and sigsum tools accept. */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  const encoded = Buffer.concat([Buffer.from([ED25519_SIG_TYPE]), publicKey]).toString('base64');
  return `${name}+${noteKeyId(name, publicKey).toString('hex')}+${encoded}`;
}

export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n')) throw new NoteError('invalid origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new NoteError('invalid tree size');
  if (c.rootHash.length !== HASH_SIZE) throw new NoteError('root hash must be 32 bytes');
  return `${c.origin}\n${c.size}\n${c.rootHash.toString('base64')}\n`;
}

export function parseCheckpoint(body: string): Checkpoint {
  const lines = body.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '') throw new NoteError('a checkpoint has at least three lines');
  const [origin, size, root] = lines as [string, string, string];
  if (origin === '') throw new NoteError('empty origin');
  // Decimal, no sign, no leading zeros (tlog-checkpoint).
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size)))
    throw new NoteError('bad tree size');
  let rootHash: Buffer;
  try {
    rootHash = fromBase64(root);
  } catch {
    throw new NoteError('bad root hash');
  }
  if (rootHash.length !== HASH_SIZE) throw new NoteError('root hash must be 32 bytes');
  return { origin, size: Number(size), rootHash };
}

/** Signs a note body (which must end in a newline) as `name`. */
export function signNote(body: string, name: string, key: SigningKey): string {
  if (!body.endsWith('\n') || body.includes('\n\n'))
    throw new NoteError('a note body ends in one newline, no blank lines');
  const sig = key.sign(Buffer.from(body, 'utf8'));
  return `${body}\n${SIG_PREFIX}${name} ${Buffer.concat([noteKeyId(name, key.publicKey), sig]).toString('base64')}\n`;
}

/**
 * Splits a signed note and checks its signatures; returns the body and the names of the
 * verifiers whose signature is valid. Throws NoteError unless at least one known key signed it.
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { body: string; verifiedBy: string[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note');
  const body = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  const verifiedBy: string[] = [];
  for (const line of sigLines) {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed signature line');
    const [name, b64, extra] = line.slice(SIG_PREFIX.length).split(' ');
    if (!name || !b64 || extra !== undefined) throw new NoteError('malformed signature line');
    let blob: Buffer;
    try {
      blob = fromBase64(b64);
    } catch {
      throw new NoteError('malformed signature');
    }
    if (blob.length < 5) throw new NoteError('malformed signature');
    for (const v of verifiers) {
      if (v.name !== name || !noteKeyId(v.name, v.publicKey).equals(blob.subarray(0, 4))) continue;
      if (verifyEd25519(v.publicKey, Buffer.from(body, 'utf8'), blob.subarray(4))) verifiedBy.push(name);
    }
  }
  if (verifiedBy.length === 0) throw new NoteError('no valid signature from a known key');
  return { body, verifiedBy };
}

export interface TlogProof {
  index: number;
  hashes: Buffer[];
  /** The signed checkpoint note. */
  checkpoint: string;
  extra?: Buffer;
}

export function formatTlogProof(p: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra) lines.push(`extra ${p.extra.toString('base64')}`);
  lines.push(`index ${p.index}`, ...p.hashes.map((h) => h.toString('base64')));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new NoteError('malformed tlog-proof');
  const lines = text.slice(0, split).split('\n');
  if (lines.shift() !== TLOG_PROOF_HEADER) throw new NoteError('not a c2sp.org/tlog-proof@v1');
  let extra: Buffer | undefined;
  if (lines[0]?.startsWith('extra ')) extra = fromBase64((lines.shift() as string).slice(6));
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines.shift() ?? '');
  if (!m) throw new NoteError('missing index line');
  const hashes = lines.map((l) => {
    const h = fromBase64(l);
    if (h.length !== HASH_SIZE) throw new NoteError('proof hashes are 32 bytes');
    return h;
  });
  return { index: Number(m[1]), hashes, checkpoint: text.slice(split + 2), ...(extra ? { extra } : {}) };
}
