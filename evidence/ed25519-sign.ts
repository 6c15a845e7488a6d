// Ed25519 signing for the archive's keys. Every 200 is signed, so the signature is on the ack's
// hot path: libsodium (sodium-native, prebuilt for the common platforms) signs in about half the
// CPU of OpenSSL through node:crypto on this project's machines (docs/performance.md, evidence).
// Ed25519 is deterministic (RFC 8032): both give the same 64 bytes for the same key and message,
// which evidence/ed25519-sign.test.ts holds them to, so where the addon cannot load we sign with
// node:crypto and nothing observable changes. Verification stays on node:crypto (evidence/
// signing-key.ts), so the offline verifier never loads the addon.
import { createPrivateKey, sign } from 'node:crypto';
import { createRequire } from 'node:module';

/** The 64-byte signature of `data`. */
export type Ed25519Sign = (data: Uint8Array) => Buffer;

export type Ed25519Backend = 'libsodium' | 'node:crypto';

interface Sodium {
  sodium_malloc(size: number): Buffer;
  sodium_mprotect_readonly(buf: Buffer): void;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Uint8Array, secretKey: Buffer): void;
}

// RFC 8410 PKCS#8 wrapper around a raw 32-byte seed, so node:crypto can load it.
export const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const require = createRequire(import.meta.url);
let sodium: Sodium | null | undefined;
/** The addon, loaded on first use (never by code that only verifies); null where it can't load. */
function loadSodium(): Sodium | null {
  if (sodium !== undefined) return sodium;
  sodium = null;
  if (process.env.ED25519_BACKEND === 'node:crypto') return sodium;
  try {
    sodium = require('sodium-native') as Sodium;
  } catch {
    // No prebuilt addon for this platform: node:crypto signs.
  }
  return sodium;
}

/** Where the addon is, for a thread that signs the same way (signing-thread.ts); unset without it. */
export function sodiumPath(): string | undefined {
  return loadSodium() ? require.resolve('sodium-native') : undefined;
}

export function ed25519Backend(): Ed25519Backend {
  return loadSodium() ? 'libsodium' : 'node:crypto';
}

/** A signer for the key whose 32-byte seed is given; the seed is not kept. */
export function ed25519Signer(seed: Uint8Array, backend = ed25519Backend()): Ed25519Sign {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const lib = backend === 'libsodium' ? loadSodium() : null;
  if (backend === 'libsodium' && !lib) throw new Error('libsodium (sodium-native) is not available');
  if (lib) {
    // Guarded, locked memory for the secret key (never swapped out), read-only once written.
    const secretKey = lib.sodium_malloc(64);
    lib.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, Buffer.from(seed));
    lib.sodium_mprotect_readonly(secretKey);
    return (data) => {
      const signature = Buffer.allocUnsafe(64);
      lib.crypto_sign_detached(signature, data, secretKey);
      return signature;
    };
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return (data) => sign(null, data, privateKey);
}
