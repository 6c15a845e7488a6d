// DESIGN.md invariants 1-3 under stress: no 200 before durability, exactly one record per
// (endpoint, external_id), nothing acknowledged lost when the worker dies mid-burst.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditLog, ingestReceipts, messages } from '../db/schema';
import { stopChild } from '../lib/child-process';
import { archiveWorkflowId, messageIdFor } from '../lib/ids';
import { startDevServer } from '../lib/temporal/dev-server';
import { manifestKey, messageRecordKey } from '../worm/keys';
import { testDatabaseUrl } from './helpers/database';
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

describe('the 200 waits for the receipt, not for Temporal', () => {
  it('Temporal stopped: producers keep getting 200; once it is back every message is archived, once', async () => {
    const port = await freePort();
    let temporal = await startDevServer({ port, uiPort: 0, namespace: 'default', headless: true });
    // PGlite: this stack's unstarted receipts are its own (stacks on the shared PostgreSQL would
    // sweep them onto their own task queues).
    const s = await startStack({
      db: 'pglite',
      worker: false,
      temporalAddress: temporal.address,
      env: { RELAY_SWEEP_INTERVAL_MS: '300', RELAY_GRACE_MS: '0', RELAY_MAX_BACKOFF_MS: '1000' },
    });
    try {
      const t = await s.newTenant();
      const sApi = adminClient(s.baseUrl, t.adminKey);
      const { endpoint, secret } = await sApi.endpoints.create.mutate({
        name: 'no-temporal',
        authMode: 'hmac',
      });
      await stopChild(temporal.process, 0); // SIGKILL, as an outage would

      const payloads = Array.from({ length: 40 }, (_, i) => samplePayload({ external_id: `down-${i}` }));
      const started = Date.now();
      const responses = await Promise.all(payloads.map((p) => postHmac(endpoint.url, secret, p)));
      expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(Date.now() - started).toBeLessThan(10_000);
      const acks = (await Promise.all(responses.map((r) => r.json()))) as Ack[];
      expect(acks.every((a) => a.status === 'accepted')).toBe(true);
      const pending = await s.database.db
        .select()
        .from(ingestReceipts)
        .where(eq(ingestReceipts.endpointId, endpoint.id));
      expect(pending).toHaveLength(40);
      expect(pending.every((r) => r.state === 'pending' && r.raw !== null)).toBe(true);

      // Temporal returns empty (an in-memory dev server remembers nothing): the relay re-drives.
      temporal = await startDevServer({ port, uiPort: 0, namespace: 'default', headless: true });
      await s.startWorker();
      await expect
        .poll(async () => (await sApi.messages.counts.query({ endpointId: endpoint.id })).archived, {
          timeout: 60_000,
          interval: 500,
        })
        .toBe(40);
      const rows = await s.database.db.select().from(messages).where(eq(messages.endpointId, endpoint.id));
      expect(rows).toHaveLength(40);
      expect(new Set(rows.map((r) => r.externalId)).size).toBe(40);
    } finally {
      await s.close();
      await temporal.stop();
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

  it('backlog bound reached: 503 with Retry-After, nothing lost, acks resume once it drains', async () => {
    const s = await startStack({
      db: 'pglite',
      worker: false,
      env: { BACKLOG_TENANT_MAX_MESSAGES: '20' },
    });
    try {
      const t = await s.newTenant();
      const sApi = adminClient(s.baseUrl, t.adminKey);
      const { endpoint, secret } = await sApi.endpoints.create.mutate({
        name: 'bounded',
        authMode: 'bearer',
      });
      for (let i = 0; i < 20; i++) {
        const res = await postBearer(endpoint.url, secret, samplePayload({ external_id: `b-${i}` }));
        expect(res.status).toBe(200);
      }
      const refused = await postBearer(endpoint.url, secret, samplePayload({ external_id: 'b-20' }));
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('backlog_full');
      const counts = await sApi.messages.counts.query({});
      expect(counts.backlog.messages).toBe(20);
      expect(counts.backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);

      await s.startWorker();
      await expect
        .poll(async () => (await sApi.messages.counts.query({})).archived, { timeout: 60_000, interval: 300 })
        .toBe(20);
      await expect
        .poll(
          async () => (await postBearer(endpoint.url, secret, samplePayload({ external_id: 'b-20' }))).status,
          {
            timeout: 10_000,
            interval: 300,
          },
        )
        .toBe(200);
      await expect
        .poll(async () => (await sApi.messages.counts.query({})).archived, { timeout: 30_000, interval: 300 })
        .toBe(21);
    } finally {
      await s.close();
    }
  });
});

describe('a validation failure in the workflow is never a silent drop', () => {
  it('leaves a failed row with the reason and an audit entry; the producer can then send again', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'direct', authMode: 'bearer' });
    // Bytes the HTTP app would refuse, committed as a receipt directly: what a schema change or
    // a bad reprocess looks like to the workflow. The relay's sweep starts it.
    const raw = Buffer.from('{"external_id":"bad"}');
    const messageId = messageIdFor(endpoint.id, 'bad');
    await stack.database.db.insert(ingestReceipts).values({
      id: messageId,
      tenantId,
      endpointId: endpoint.id,
      externalId: 'bad',
      raw,
      rawSha256: createHash('sha256').update(raw).digest('hex'),
      rawSize: raw.length,
      authMode: 'bearer',
      receivedAt: new Date(),
      requestId: 'req-1',
      retentionDays: 30,
      workflowId: archiveWorkflowId(endpoint.id, 'bad'),
    });
    await expect
      .poll(async () => (await api.messages.get.query({ id: messageId }).catch(() => null))?.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('failed');
    const msg = await api.messages.get.query({ id: messageId });
    expect(msg.error).toMatch(/ValidationError/);
    const audits = await stack.database.db.select().from(auditLog).where(eq(auditLog.targetId, messageId));
    expect(audits.map((a) => a.action)).toContain('message.failed');
    const [receipt] = await stack.database.db
      .select()
      .from(ingestReceipts)
      .where(eq(ingestReceipts.id, messageId));
    expect(receipt?.state).toBe('failed');

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
  it('the server SIGKILLed after receipts committed, before their workflows started: all archived, once', async () => {
    // A server whose Temporal is unreachable commits receipts and acks, but can start nothing;
    // it then dies. The surviving instance's relay (this stack's) finds and starts every one.
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: await testDatabaseUrl(),
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        PORT: String(port),
        MASTER_KEY: stack.masterKey,
        DATA_DIR: path.join(stack.dir, 'killed-server'),
        WORM_DIR: stack.wormDir,
        RELAY_GRACE_MS: '500',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    try {
      await expect
        .poll(
          () =>
            fetch(`http://127.0.0.1:${port}/healthz`).then(
              (r) => r.status,
              () => 0,
            ),
          {
            timeout: 60_000,
            interval: 250,
          },
        )
        .toBe(200);
      const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'orphans', authMode: 'hmac' });
      const url = endpoint.url.replace(stack.baseUrl, `http://127.0.0.1:${port}`);
      const total = 30;
      const responses = await Promise.all(
        Array.from({ length: total }, (_, i) =>
          postHmac(url, secret, samplePayload({ external_id: `orphan-${i}` })),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(total).fill(200));
      child.kill('SIGKILL');
      await expect
        .poll(
          async () =>
            (
              await stack.database.db
                .select({ id: messages.id })
                .from(messages)
                .where(and(eq(messages.endpointId, endpoint.id), eq(messages.status, 'archived')))
            ).length,
          { timeout: 60_000, interval: 500 },
        )
        .toBe(total);
      const rows = await stack.database.db
        .select()
        .from(messages)
        .where(eq(messages.endpointId, endpoint.id));
      expect(rows).toHaveLength(total);
      const receipts = await stack.database.db
        .select()
        .from(ingestReceipts)
        .where(eq(ingestReceipts.endpointId, endpoint.id));
      expect(receipts.every((r) => r.state === 'archived')).toBe(true);
    } finally {
      await stopChild(child, 0);
    }
  }, 120_000);

  it('a worker killed (SIGKILL) mid-burst: every acknowledged message ends archived, once', async () => {
    await stack.stopWorker();
    const env = {
      ...process.env,
      DATABASE_URL: await testDatabaseUrl(),
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
