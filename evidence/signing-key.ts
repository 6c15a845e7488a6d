// The archive's Ed25519 keyring: one current key signs receipts and checkpoints; retired keys
// stay published so everything they ever signed still verifies. Kept in DATA_DIR (0600) or, in
// production, the current key given by env (base64 of the 32-byte seed).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  verify,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ed25519Signer, PKCS8_PREFIX } from './ed25519-sign';
import { fromBase64 } from './hex';

export const KEYRING_FILE = 'signing-keys.json';

/** What `GET /.well-known/webhook-archive/keys` lists. */
export interface PublishedKey {
  key_id: string;
  alg: 'Ed25519';
  /** base64 of the raw 32-byte public key. */
  public_key: string;
  created_at: string;
  retired_at?: string;
}

export interface SigningKey {
  keyId: string;
  publicKey: Buffer;
  /** Parsed once; a KeyObject can be posted to a worker thread (apps/server/evidence/signing-thread.ts). */
  privateKey: KeyObject;
  sign(data: Uint8Array): Buffer;
}

export interface Keyring {
  current: SigningKey;
  published: PublishedKey[];
}

interface StoredKey extends PublishedKey {
  seed: string;
}

// DER wrapper around a raw Ed25519 public key (RFC 8410), so node:crypto can load it.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Key id: the first 8 bytes of SHA-256(raw public key), hex; stable and derivable by anyone. */
export function keyIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('Ed25519 public keys are 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verify(null, data, publicKeyObject(publicKey), signature);
}

export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
  return { keyId: keyIdOf(publicKey), publicKey, privateKey, sign: ed25519Signer(seed) };
}

function newStoredKey(now: Date): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const key = signingKeyFromSeed(seed);
  return {
    key_id: key.keyId,
    alg: 'Ed25519',
    public_key: key.publicKey.toString('base64'),
    created_at: now.toISOString(),
    seed: seed.toString('base64'),
  };
}

function readStored(file: string): StoredKey[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: StoredKey[] };
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error(`${file} holds no keys`);
  return parsed.keys;
}

function writeStored(file: string, keys: StoredKey[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

const published = ({ seed: _s, ...key }: StoredKey): PublishedKey => key;

export interface KeyringSource {
  DATA_DIR: string;
  /** base64 of a 32-byte Ed25519 seed; wins over the file's current key. */
  SIGNING_KEY?: string | undefined;
}

/** Loads (or on first start creates) the keyring. */
export function openKeyring(src: KeyringSource, now = new Date()): Keyring {
  const file = path.join(src.DATA_DIR, KEYRING_FILE);
  if (!existsSync(file) && !src.SIGNING_KEY) {
    mkdirSync(src.DATA_DIR, { recursive: true });
    try {
      // 'wx': the server and the worker may start together; the first one's key wins.
      writeFileSync(file, `${JSON.stringify({ keys: [newStoredKey(now)] }, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const stored = existsSync(file) ? readStored(file) : [];
  if (src.SIGNING_KEY) {
    const key = signingKeyFromSeed(fromBase64(src.SIGNING_KEY));
    const others = stored.filter((k) => k.key_id !== key.keyId).map(published);
    const own = stored.find((k) => k.key_id === key.keyId);
    return {
      current: key,
      published: [
        ...others,
        {
          key_id: key.keyId,
          alg: 'Ed25519',
          public_key: key.publicKey.toString('base64'),
          created_at: own?.created_at ?? now.toISOString(),
        },
      ],
    };
  }
  const current = stored.find((k) => !k.retired_at);
  if (!current) throw new Error(`${file} has no current (unretired) key`);
  return { current: signingKeyFromSeed(fromBase64(current.seed)), published: stored.map(published) };
}

/**
 * Retires the current key and makes a new one current. Old public keys stay listed (with
 * retired_at), so receipts and checkpoints they signed keep verifying. Running processes pick
 * the new key up when restarted.
 */
export function rotateKeyring(dataDir: string, now = new Date()): Keyring {
  const file = path.join(dataDir, KEYRING_FILE);
  const stored = readStored(file).map((k) => (k.retired_at ? k : { ...k, retired_at: now.toISOString() }));
  writeStored(file, [...stored, newStoredKey(now)]);
  return openKeyring({ DATA_DIR: dataDir }, now);
}
