// messages.setLegalHold: every sealed object of the message is held (and released), audited,
// tenant-scoped; a message not yet sealed is refused rather than half-held.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../db/schema';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

describe('messages.setLegalHold', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let ack: Ack;
  let endpoint: { url: string };
  let secret: string;

  beforeAll(async () => {
    stack = await startStack();
    api = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    ({ endpoint, secret } = await api.endpoints.create.mutate({ name: 'hold', authMode: 'bearer' }));
    const p = samplePayload({
      attachments: [
        {
          filename: 'a.txt',
          content_type: 'text/plain',
          content_base64: Buffer.from('evidence').toString('base64'),
        },
      ],
    });
    ack = (await (await postBearer(endpoint.url, secret, p)).json()) as Ack;
  });
  afterAll(() => stack?.close());

  it('holds and releases every sealed object of the message, audited', async () => {
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 20_000 })
      .toBe('archived');
    const on = await api.messages.setLegalHold.mutate({ id: ack.message_id, on: true });
    expect(on.objects).toHaveLength(4); // raw body, record, one attachment, manifest
    for (const key of on.objects) expect((await stack.deps.worm.head(key))?.legalHold).toBe(true);
    // A held object cannot be deleted (retention aside).
    await expect(stack.deps.worm.delete(on.objects[0]!)).rejects.toThrow();

    await api.messages.setLegalHold.mutate({ id: ack.message_id, on: false });
    for (const key of on.objects) expect((await stack.deps.worm.head(key))?.legalHold).toBe(false);

    const audits = await stack.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.targetId, ack.message_id)));
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(['message.legal_hold_on', 'message.legal_hold_off']),
    );
  });

  it("is NOT_FOUND for another tenant's message, and refused before the message is sealed", async () => {
    const other = adminClient(stack.baseUrl, (await stack.newTenant()).adminKey);
    await expect(other.messages.setLegalHold.mutate({ id: ack.message_id, on: true })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await stack.stopWorker();
    try {
      const pending = (await (await postBearer(endpoint.url, secret, samplePayload())).json()) as Ack;
      // No row yet (the workflow has not run): NOT_FOUND; either way nothing is half-held.
      await expect(
        api.messages.setLegalHold.mutate({ id: pending.message_id, on: true }),
      ).rejects.toMatchObject({
        data: { code: expect.stringMatching(/NOT_FOUND|PRECONDITION_FAILED/) },
      });
    } finally {
      await stack.startWorker();
    }
  });
});
