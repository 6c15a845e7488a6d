import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519Backend, ed25519Signer } from './ed25519-sign';
import { signingKeyFromSeed, verifyEd25519 } from './signing-key';

describe('Ed25519 signing', () => {
  it('runs on libsodium here (a missing prebuilt addon would silently cost twice the CPU)', () => {
    expect(ed25519Backend()).toBe('libsodium');
  });

  it('libsodium and node:crypto give the same bytes for the same key and message (RFC 8032 is deterministic)', () => {
    const sizes = [0, 1, 31, 32, 63, 64, 255, 256, 1024, 65_537];
    for (let i = 0; i < 60; i++) {
      const seed = randomBytes(32);
      const sodium = ed25519Signer(seed, 'libsodium');
      const openssl = ed25519Signer(seed, 'node:crypto');
      const message = randomBytes(sizes[i % sizes.length]!);
      const signature = sodium(message);
      expect(signature).toHaveLength(64);
      expect(signature.equals(openssl(message))).toBe(true);
      expect(verifyEd25519(signingKeyFromSeed(seed).publicKey, message, signature)).toBe(true);
    }
  });

  it('matches RFC 8032 test vector 2 (one-byte message)', () => {
    const seed = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex');
    const expected =
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
      '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';
    for (const backend of ['libsodium', 'node:crypto'] as const) {
      expect(ed25519Signer(seed, backend)(Buffer.from([0x72])).toString('hex')).toBe(expected);
    }
  });

  it('a signature over one message does not verify another', () => {
    const seed = randomBytes(32);
    const sign = ed25519Signer(seed);
    const signature = sign(Buffer.from('{"v":1}'));
    expect(verifyEd25519(signingKeyFromSeed(seed).publicKey, Buffer.from('{"v":2}'), signature)).toBe(false);
  });
});
