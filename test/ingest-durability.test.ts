// DESIGN.md invariants 1-3 under stress: no 200 before durability, exactly one record per
// (endpoint, external_id), nothing acknowledged lost when the worker dies mid-burst.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditLog, messages } from '../db/schema';
import { archiveWorkflowId, messageIdFor } from '../lib/ids';
import { stopChild } from '../lib/temporal/dev-server';
import { manifestKey, messageRecordKey } from '../worm/keys';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, postHmac, samplePayload } from './helpers/webhooks';

let stack: Stack;
let api: ReturnType<typeof adminClient>;
let tenantId: string;

beforeAll(async () => {
  stack = await startStack();
  const t = await stack.newTenant();
  tenantId = t.tenantId;
  api = adminClient(stack.baseUrl, t.adminKey);
});
afterAll(() => stack?.close());

const waitArchived = (id: string, timeout = 30_000) =>
  expect
    .poll(async () => (await api.messages.get.query({ id })).status, { timeout, interval: 200 })
    .toBe('archived');

describe('exactly one record per (endpoint, external_id)', () => {
  it('50 concurrent POSTs of one external_id: all 200, one accepted, one row, one WORM record', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'race', authMode: 'hmac' });
    const p = samplePayload({
      attachments: [{ filename: 'a.txt', content_type: 'text/plain', content_base64: 'aGVsbG8=' }],
    });
    const responses = await Promise.all(Array.from({ length: 50 }, () => postHmac(endpoint.url, secret, p)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const acks = (await Promise.all(responses.map((r) => r.json()))) as Ack[];
    expect(acks.filter((a) => a.status === 'accepted')).toHaveLength(1);
    expect(new Set(acks.map((a) => a.message_id)).size).toBe(1);
    await waitArchived(acks[0]!.message_id);

    const rows = await stack.database.db.select().from(messages).where(eq(messages.endpointId, endpoint.id));
    expect(rows).toHaveLength(1);
    const manifest = JSON.parse(
      readFileSync(path.join(stack.wormDir, manifestKey(tenantId, acks[0]!.message_id)), 'utf8'),
    );
    expect(manifest.external_id).toBe(p.external_id);
    expect(manifest.attachments).toHaveLength(1);
    expect(manifest.attachments[0].sha256).toBe(createHash('sha256').update('hello').digest('hex'));
    const record = readFileSync(path.join(stack.wormDir, messageRecordKey(tenantId, acks[0]!.message_id)));
    expect(manifest.record.sha256).toBe(createHash('sha256').update(record).digest('hex'));
  });

  it('is still a duplicate once Temporal has forgotten the run; a changed body is audited', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'forget', authMode: 'bearer' });
    const p = samplePayload();
    const first = (await (await postBearer(endpoint.url, secret, p)).json()) as Ack;
    expect(first.status).toBe('accepted');
    await waitArchived(first.message_id);

    // The same server, database and secrets, but a Temporal namespace that has never seen this
    // workflow id: what Temporal looks like after its retention has passed.
    const forgetful = await startStack({
      worker: false,
      temporalNamespace: inject('temporalSecondNamespace'),
      masterKey: stack.masterKey,
    });
    try {
      const forgottenUrl = endpoint.url.replace(stack.baseUrl, forgetful.baseUrl);
      const again = (await (await postBearer(forgottenUrl, secret, p)).json()) as Ack;
      expect(again).toMatchObject({ status: 'duplicate', message_id: first.message_id });
      const changed = (await (
        await postBearer(forgottenUrl, secret, { ...p, body: 'edited' })
      ).json()) as Ack;
      expect(changed).toMatchObject({ status: 'duplicate', message_id: first.message_id });
      // Temporal really had no memory: no run of this id exists in the second namespace.
      await expect(
        forgetful.deps.temporal.workflow.getHandle(first.workflow_id).describe(),
      ).rejects.toThrow();
    } finally {
      await forgetful.close();
    }

    const conflicts = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'message.duplicate_conflict'), eq(auditLog.targetId, first.message_id)));
    expect(conflicts).toHaveLength(1);
    const stored = await api.messages.get.query({ id: first.message_id });
    expect(stored.body).toBe('message text');
  });

  it('an in-flight duplicate with a different body is acknowledged and recorded as a conflict', async () => {
    await stack.stopWorker(); // keep the first run in flight
    try {
      const { endpoint, secret } = await api.endpoints.create.mutate({
        name: 'inflight',
        authMode: 'bearer',
      });
      const p = samplePayload();
      const a = (await (await postBearer(endpoint.url, secret, p)).json()) as Ack;
      const b = (await (await postBearer(endpoint.url, secret, { ...p, body: 'different' })).json()) as Ack;
      expect([a.status, b.status]).toEqual(['accepted', 'duplicate']);
      const conflicts = await stack.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'message.duplicate_conflict'), eq(auditLog.targetId, a.message_id)));
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]!.actor).toBe('ingest');
    } finally {
      await stack.startWorker();
    }
  });
});

describe('no 200 before durability', () => {
  it('answers 503 with Retry-After when Temporal is unreachable, and stores nothing as accepted', async () => {
    const dead = await startStack({ worker: false, temporalAddress: `127.0.0.1:${await freePort()}` });
    try {
      const t = await dead.newTenant();
      const deadApi = adminClient(dead.baseUrl, t.adminKey);
      const { endpoint, secret } = await deadApi.endpoints.create.mutate({
        name: 'dead',
        authMode: 'bearer',
      });
      const p = samplePayload();
      const res = await postBearer(endpoint.url, secret, p);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
      const rows = await dead.database.db
        .select()
        .from(messages)
        .where(eq(messages.externalId, p.external_id));
      expect(rows).toHaveLength(0);
    } finally {
      await dead.close();
    }
  });

  it('answers 503 when the database is unavailable', async () => {
    const s = await startStack({ worker: false, db: 'pglite' });
    const t = await s.newTenant();
    const { endpoint, secret } = await adminClient(s.baseUrl, t.adminKey).endpoints.create.mutate({
      name: 'nodb',
      authMode: 'bearer',
    });
    await s.database.close();
    const res = await postBearer(endpoint.url, secret, samplePayload());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    await s.close().catch(() => {});
  });
});

describe('a validation failure in the workflow is never a silent drop', () => {
  it('leaves a failed row with the reason and an audit entry; the producer can then send again', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'direct', authMode: 'bearer' });
    // Bytes the HTTP app would refuse, started directly: what a schema change or a bad
    // reprocess looks like to the workflow.
    const raw = Buffer.from('{"external_id":"bad"}');
    const messageId = messageIdFor(endpoint.id, 'bad');
    const workflowId = archiveWorkflowId(endpoint.id, 'bad');
    const handle = await stack.deps.temporal.workflow.start('archiveMessage', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [
        {
          tenantId,
          endpointId: endpoint.id,
          messageId,
          workflowId,
          externalId: 'bad',
          authMode: 'bearer',
          requestId: 'req-1',
          receivedAt: new Date().toISOString(),
          sourceIp: null,
          raw: {
            sha256: createHash('sha256').update(raw).digest('hex'),
            size: raw.length,
            inlineBase64: raw.toString('base64'),
          },
        },
      ],
    });
    await expect(handle.result()).rejects.toThrow();
    const msg = await api.messages.get.query({ id: messageId });
    expect(msg.status).toBe('failed');
    expect(msg.error).toMatch(/ValidationError/);
    const audits = await stack.database.db.select().from(auditLog).where(eq(auditLog.targetId, messageId));
    expect(audits.map((a) => a.action)).toContain('message.failed');

    // A failed message is not a duplicate: the producer's valid resend is archived in its place.
    const resend = (await (
      await postBearer(endpoint.url, secret, samplePayload({ external_id: 'bad', body: 'fixed' }))
    ).json()) as Ack;
    expect(resend).toMatchObject({ status: 'accepted', message_id: messageId });
    await waitArchived(messageId);
    const fixed = await api.messages.get.query({ id: messageId });
    expect(fixed).toMatchObject({ body: 'fixed', error: null, status: 'archived' });
  });
});

describe('nothing acknowledged is lost', () => {
  it('a worker killed (SIGKILL) mid-burst: every acknowledged message ends archived, once', async () => {
    await stack.stopWorker();
    const env = {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      DATA_DIR: stack.dir,
      WORM_DIR: stack.wormDir,
      LOG_LEVEL: 'warn',
    };
    const spawnWorker = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', 'apps/worker/main.ts'], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });

    let child = spawnWorker();
    try {
      const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'burst', authMode: 'hmac' });
      const total = 80;
      const acked: Ack[] = [];
      let killed = false;
      const send = async (i: number) => {
        const res = await postHmac(endpoint.url, secret, samplePayload({ external_id: `burst-${i}` }));
        if (res.status === 200) acked.push((await res.json()) as Ack);
        if (acked.length >= 25 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      };
      for (let i = 0; i < total; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, k) => send(i + k)));
      }
      expect(killed).toBe(true);
      expect(acked.length).toBe(total);
      child = spawnWorker();

      await expect
        .poll(
          async () => {
            const rows = await stack.database.db
              .select({ status: messages.status })
              .from(messages)
              .where(and(eq(messages.endpointId, endpoint.id), eq(messages.status, 'archived')));
            return rows.length;
          },
          { timeout: 90_000, interval: 500 },
        )
        .toBe(total);
      const rows = await stack.database.db
        .select()
        .from(messages)
        .where(eq(messages.endpointId, endpoint.id));
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => r.externalId)).size).toBe(total);
      for (const ack of acked) {
        const manifest = JSON.parse(
          readFileSync(path.join(stack.wormDir, manifestKey(tenantId, ack.message_id)), 'utf8'),
        );
        expect(manifest.message_id).toBe(ack.message_id);
      }
    } finally {
      await stopChild(child, 5000);
      await stack.startWorker();
    }
  }, 150_000);
});
