// The ack's signing thread: correct signatures, one message per turn of the loop, key rotation,
// and what happens when the thread dies or hangs (retried once, then refused; never unsigned).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../../evidence/receipt';
import { openKeyring, signingKeyFromSeed, verifyEd25519 } from '../../../evidence/signing-key';
import { createReceiptSigner, openReceiptSigner } from './receipt';
import { SigningThread, SigningUnavailableError } from './signing-thread';

const keyA = signingKeyFromSeed(Buffer.alloc(32, 1));
const keyB = signingKeyFromSeed(Buffer.alloc(32, 2));
const msg = (i: number) => Buffer.from(`message ${i}`);

let open: SigningThread[] = [];
const thread = (opts?: ConstructorParameters<typeof SigningThread>[0]) => {
  const t = new SigningThread(opts);
  open.push(t);
  return t;
};
afterEach(async () => {
  await Promise.all(open.map((t) => t.close()));
  open = [];
});

describe('SigningThread', () => {
  it('signs what the key signs inline, many requests per message', async () => {
    const t = thread();
    const sigs = await Promise.all(Array.from({ length: 500 }, (_, i) => t.sign(keyA, msg(i))));
    sigs.forEach((sig, i) => {
      expect(sig.equals(keyA.sign(msg(i)))).toBe(true); // Ed25519 is deterministic
      expect(verifyEd25519(keyA.publicKey, msg(i), sig)).toBe(true);
    });
    expect(t.stats.requests).toBe(500);
    expect(t.stats.batches).toBe(1); // all asked in one turn of the loop
    expect(t.stats.threadsStarted).toBe(1);
    expect(t.backend).toBe('libsodium'); // as inline: half OpenSSL's CPU per signature
  });

  it('signs with each request’s key: a rotated key takes effect at the next request', async () => {
    const t = thread();
    const [a1, b1] = await Promise.all([t.sign(keyA, msg(1)), t.sign(keyB, msg(1))]);
    const b2 = await t.sign(keyB, msg(2));
    const a2 = await t.sign(keyA, msg(2));
    expect(verifyEd25519(keyA.publicKey, msg(1), a1)).toBe(true);
    expect(verifyEd25519(keyB.publicKey, msg(1), b1)).toBe(true);
    expect(verifyEd25519(keyB.publicKey, msg(2), b2)).toBe(true);
    expect(verifyEd25519(keyA.publicKey, msg(2), a2)).toBe(true);
    expect(verifyEd25519(keyA.publicKey, msg(1), b1)).toBe(false);
  });

  it('a thread that dies mid-batch is replaced and its requests retried', async () => {
    const t = thread();
    await t.sign(keyA, msg(0)); // a thread is running
    const pending = Array.from({ length: 2000 }, (_, i) => t.sign(keyA, msg(i)));
    await new Promise((r) => setImmediate(r)); // the batch has been handed over
    await t.thread?.terminate();
    const sigs = await Promise.all(pending);
    for (const [i, sig] of sigs.entries()) expect(verifyEd25519(keyA.publicKey, msg(i), sig)).toBe(true);
    expect(t.stats.threadsStarted).toBe(2);
    expect(t.stats.retried).toBe(2000);
    expect(t.stats.failed).toBe(0);
  });

  it('refuses, never answers unsigned, once the retries are spent', async () => {
    const t = thread({ maxAttempts: 1 });
    await t.sign(keyA, msg(0));
    const pending = Array.from({ length: 2000 }, (_, i) => t.sign(keyA, msg(i)));
    await new Promise((r) => setImmediate(r));
    await t.thread?.terminate();
    const results = await Promise.allSettled(pending);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(SigningUnavailableError);
    // And the next request gets a fresh thread.
    expect(verifyEd25519(keyA.publicKey, msg(2), await t.sign(keyA, msg(2)))).toBe(true);
    expect(t.stats.threadsStarted).toBe(2);
  });

  it('a thread that stops answering in time is replaced, then the request refused', async () => {
    // 20,000 signatures take far longer than 20 ms: each attempt times out.
    const t = thread({ timeoutMs: 20, maxAttempts: 2 });
    const pending = Array.from({ length: 20_000 }, (_, i) => t.sign(keyA, msg(i)));
    const results = await Promise.allSettled(pending);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(SigningUnavailableError);
    expect(t.stats.threadsStarted).toBe(2);
  });

  it('refuses after close', async () => {
    const t = thread();
    await t.close();
    await expect(t.sign(keyA, msg(1))).rejects.toBeInstanceOf(SigningUnavailableError);
  });
});

describe('openReceiptSigner', () => {
  const input = {
    messageId: '0d3c5b7e-59b4-5f4e-9a43-2b0b1b6f4f11',
    externalId: 'ext "quoted" \u0001 \ud83d\ude00',
    endpointId: '6f1d8a52-2d8f-4c1e-9a2b-6d8e1f0c2b3a',
    tenantId: '9b2c8d1e-7f6a-4e5d-8c3b-2a1f0e9d8c7b',
    rawSha256: 'a'.repeat(64),
    receivedAt: '2026-05-28T14:30:00.123Z',
  };

  it('the thread and inline signers give the same receipt, which verifies', async () => {
    const evidence = { keyring: openKeyring({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'keys-')) }) };
    const threaded = openReceiptSigner(evidence, 'thread');
    const inline = openReceiptSigner(evidence, 'inline');
    try {
      const r = await threaded.sign(input);
      expect(r).toEqual(await inline.sign(input));
      expect(r).toEqual(createReceiptSigner(evidence)(input));
      expect(verifyReceipt(r, evidence.keyring.published)).toEqual({ ok: true });
    } finally {
      await threaded.close();
    }
  });

  it('signs with the keyring’s current key at each call', async () => {
    const evidence = { keyring: { current: keyA, published: [] } };
    const signer = openReceiptSigner(evidence, 'thread');
    try {
      expect((await signer.sign(input)).key_id).toBe(keyA.keyId);
      evidence.keyring.current = keyB;
      const r = await signer.sign(input);
      expect(r.key_id).toBe(keyB.keyId);
      expect(r).toEqual(createReceiptSigner({ keyring: { current: keyB, published: [] } })(input));
    } finally {
      await signer.close();
    }
  });
});
