// The ack's receipt is signed on a worker thread: the real server on PostgreSQL keeps answering
// every 200 with a valid receipt while that thread is killed under load, and answers 503 (never
// an unsigned 200) when it cannot sign; the producer's retry then gets the original's receipt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReceiptSigner } from '../apps/server/evidence/receipt';
import { type Receipt, verifyReceipt } from '../evidence/receipt';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

type AckWithReceipt = Ack & { receipt: Receipt };

describe('receipt signing thread on the ack path', () => {
  let stack: Stack;
  let endpoint: { url: string };
  let secret: string;

  beforeAll(async () => {
    stack = await startStack({ env: { RECEIPT_SIGNER: 'thread' } });
    const t = await stack.newTenant();
    ({ endpoint, secret } = await adminClient(stack.baseUrl, t.adminKey).endpoints.create.mutate({
      name: 'signer',
      authMode: 'bearer',
      rateLimitPerSecond: 10_000,
      rateLimitBurst: 10_000,
    }));
  }, 60_000);
  afterAll(() => stack?.close());

  it('runs on a thread when asked, and a thread killed under load costs no receipt', async () => {
    const thread = stack.deps.receiptSigner.thread;
    expect(thread).toBeDefined();
    const before = { ...thread!.stats };
    const bodies = Array.from({ length: 150 }, () => JSON.stringify(samplePayload()));
    const answers = Promise.all(
      bodies.map(async (raw) => {
        const res = await postBearer(endpoint.url, secret, raw);
        return { status: res.status, body: (await res.json()) as AckWithReceipt };
      }),
    );
    // Kill the thread once acks are being signed, with more to come.
    await expect
      .poll(() => thread!.stats.requests - before.requests, { interval: 1, timeout: 30_000 })
      .toBeGreaterThan(10);
    await thread!.thread?.terminate();
    const results = await answers;
    const keys = stack.deps.evidence.keyring.published;
    for (const r of results) {
      // A 503 is allowed (retries spent); a 200 must carry a receipt that verifies.
      expect([200, 503]).toContain(r.status);
      if (r.status === 200) expect(verifyReceipt(r.body.receipt, keys)).toEqual({ ok: true });
    }
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(thread!.stats.threadsStarted).toBeGreaterThan(before.threadsStarted);
    expect(thread!.stats.requests - before.requests).toBeLessThan(150 + 150); // no more than a retry each
  });

  it('signs the receipt a new message expects while its row is written, a duplicate the original', async () => {
    const thread = stack.deps.receiptSigner.thread!;
    const raw = JSON.stringify(samplePayload());
    const before = thread.stats.requests;
    const first = await postBearer(endpoint.url, secret, raw);
    expect(first.status).toBe(200);
    const accepted = (await first.json()) as AckWithReceipt;
    expect(accepted.status).toBe('accepted');
    expect(thread.stats.requests - before).toBe(1);
    // A resend is signed twice: the receipt it would have had, asked for before the write
    // answered (and not used), then the original's.
    const again = await postBearer(endpoint.url, secret, raw);
    const duplicate = (await again.json()) as AckWithReceipt;
    expect(duplicate.status).toBe('duplicate');
    expect(thread.stats.requests - before).toBe(3);
    expect(duplicate.receipt).toEqual(accepted.receipt);
    expect(verifyReceipt(duplicate.receipt, stack.deps.evidence.keyring.published)).toEqual({ ok: true });
  });

  it('answers 503 when it cannot sign; the retry is a duplicate with the original receipt', async () => {
    const raw = JSON.stringify(samplePayload());
    const working = stack.deps.receiptSigner;
    await working.close(); // a signer that cannot sign any more
    try {
      const refused = await postBearer(endpoint.url, secret, raw);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(((await refused.json()) as { receipt?: unknown }).receipt).toBeUndefined();
    } finally {
      stack.deps.receiptSigner = openReceiptSigner(stack.deps.evidence, 'thread');
    }
    const retried = await postBearer(endpoint.url, secret, raw);
    expect(retried.status).toBe(200);
    const ack = (await retried.json()) as AckWithReceipt;
    expect(ack.status).toBe('duplicate'); // the 503's request was durable already
    expect(verifyReceipt(ack.receipt, stack.deps.evidence.keyring.published)).toEqual({ ok: true });
  });
});
