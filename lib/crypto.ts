// Secrets, tokens and their comparisons. Everything secret-bearing goes through here so the
// rules (256-bit randomness, constant-time compares, AES-256-GCM at rest) live in one place.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hash,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** 256 bits of randomness, base64url (43 characters). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot: no Hash object per call (about half the time for a 1 KB body).
  return hash('sha256', data, 'hex');
}

/** Compares two strings in time that depends only on their lengths' maximum, not their content. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // Compare equal-length digests so a length mismatch leaks nothing either.
  const ah = createHash('sha256').update(ab).digest();
  const bh = createHash('sha256').update(bb).digest();
  return timingSafeEqual(ah, bh) && ab.length === bb.length;
}

/** HMAC-SHA256(secret, body) as lowercase hex: what the contract's Python snippet computes. */
export function hmacSha256Hex(secret: string, body: Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Verifies an X-Comma-Signature header against the raw body, in constant time. */
export function verifyHmacSignature(secret: string, body: Uint8Array, header: string): boolean {
  const given = header
    .trim()
    .toLowerCase()
    .replace(/^sha256=/, '');
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

const ENC_VERSION = 'v1';

/** Encrypts small secrets at rest with AES-256-GCM. Output: v1.<iv>.<tag>.<ciphertext> (base64url). */
export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKeyBase64url: string) {
    const key = Buffer.from(masterKeyBase64url, 'base64url');
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
    this.#key = key;
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [ENC_VERSION, iv, cipher.getAuthTag(), ct]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** `aad` binds the ciphertext to its row, so a secret copied onto another endpoint won't open. */
  open(sealed: string, aad: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== ENC_VERSION || !iv || !tag || ct === undefined)
      throw new Error('unrecognised sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
