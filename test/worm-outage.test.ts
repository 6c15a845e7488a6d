// Issue 11 item 4: one dependency's outage must not stall the worker. With the WORM store (S3
// Object Lock on SeaweedFS) gone for ~20 s and a worker with only two workflow-task and two
// local-activity slots, many more messages than slots are acknowledged, every one of them gets
// through the steps that don't need WORM (prepare: row written, status `stored`) while the
// seals keep failing, the stall shows as `stuck` in messages.counts, and once the store is back
// everything is archived within a bound — retries of the failing step wait as timers and as
// server-scheduled activity retries, not in the worker's slots.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attachmentFetchSettings } from '../apps/runtime';
import { createArchiveWorker } from '../apps/worker/worker';
import { messages } from '../db/schema';
import { serverPid } from '../lib/temporal/dev-server';
import { withWormMetrics } from '../worm/metered';
import { S3WormStore } from '../worm/s3-store';
import { killAndWait } from './helpers/processes';
import { type SeaweedFs, startSeaweedFs } from './helpers/seaweedfs';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const SLOTS = 2;
const MESSAGES = 30;
const OUTAGE_MS = 20_000;

let dir: string;
let sw: SeaweedFs;
let s3Port: number;
let stack: Stack;
let worker: Worker;
let workerRun: Promise<void>;
let connection: NativeConnection;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'worm-outage-'));
  sw = await startSeaweedFs({ dataDir: path.join(dir, 'seaweedfs') });
  s3Port = Number(new URL(sw.endpoint).port);
  const client = new S3Client({
    endpoint: sw.endpoint,
    region: sw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sw.accessKeyId, secretAccessKey: sw.secretAccessKey },
  });
  const bucket = `outage-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  // The store as production opens it: the SDK's default retries, then the store's own.
  const worm = withWormMetrics(await S3WormStore.open({ client, bucket, tmpDir: path.join(dir, 'spool') }));
  stack = await startStack({ worker: false, env: { STUCK_AFTER_MS: '5000' } });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await createArchiveWorker({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue: stack.taskQueue,
    deps: {
      db: stack.database.db,
      worm,
      log: stack.deps.log,
      fetch: attachmentFetchSettings(stack.deps.config),
      evidence: stack.deps.evidence,
      exportDir: stack.deps.config.EXPORT_DIR,
    },
    workflowBundlePath: inject('workflowBundlePath'),
    maxConcurrentWorkflowTaskExecutions: SLOTS,
    maxConcurrentLocalActivityExecutions: SLOTS,
  });
  workerRun = worker.run();
}, 120_000);

afterAll(async () => {
  // A failed assertion mid-outage: bring the store back so the worker's activities can finish.
  if (sw && sw.process.exitCode !== null)
    sw = await startSeaweedFs({ dataDir: path.join(dir, 'seaweedfs'), s3Port });
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await connection?.close();
  await stack?.close();
  await sw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a WORM outage does not hold worker slots', () => {
  it(`${MESSAGES} messages through ${SLOTS} slots while the store is down; all archived soon after it returns`, async () => {
    const t = await stack.newTenant();
    const api = adminClient(stack.baseUrl, t.adminKey);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'outage', authMode: 'bearer' });
    const statuses = async () => {
      const rows = await stack.database.db
        .select({ status: messages.status })
        .from(messages)
        .where(eq(messages.endpointId, endpoint.id));
      return rows.map((r) => r.status);
    };

    // The store works: a first message is archived, so the pipeline is known good.
    const first = await postBearer(endpoint.url, secret, samplePayload({ external_id: 'before' }));
    expect(first.status).toBe(200);
    await expect.poll(statuses, { timeout: 30_000, interval: 200 }).toEqual(['archived']);

    await killAndWait(serverPid(sw.process)!);
    const downAt = Date.now();
    const responses = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        postBearer(endpoint.url, secret, samplePayload({ external_id: `down-${i}` })),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(MESSAGES).fill(200));
    const acks = (await Promise.all(responses.map((r) => r.json()))) as Ack[];
    expect(acks.every((a) => a.status === 'accepted')).toBe(true);

    // The worker keeps running workflow tasks: every message, not just SLOTS of them, gets its
    // row (prepare needs no WORM for a message without attachments) while seal keeps failing.
    // The store stays down until they all have (the bound is generous: on a loaded 2-core
    // machine 30 workflow tasks through 2 slots take a while; held slots would stop at 2).
    await expect
      .poll(async () => (await statuses()).filter((s) => s === 'stored').length, {
        timeout: 60_000,
        interval: 250,
      })
      .toBe(MESSAGES);
    expect((await statuses()).filter((s) => s === 'archived')).toHaveLength(1);

    // The stall is visible: past STUCK_AFTER_MS they count as stuck.
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + OUTAGE_MS - Date.now())));
    const during = await api.messages.counts.query({ endpointId: endpoint.id });
    expect(during).toMatchObject({ archived: 1, stuck: MESSAGES });

    // The store returns (same port, same data): all archived within a bound.
    sw = await startSeaweedFs({ dataDir: path.join(dir, 'seaweedfs'), s3Port });
    const backAt = Date.now();
    await expect
      .poll(async () => (await statuses()).filter((s) => s === 'archived').length, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(MESSAGES + 1);
    const recoveryMs = Date.now() - backAt;
    console.log(`[worm-outage] store back: all ${MESSAGES} archived ${recoveryMs} ms later`);
    const after = await api.messages.counts.query({ endpointId: endpoint.id });
    expect(after).toMatchObject({ archived: MESSAGES + 1, stuck: 0 });
    const rows = await stack.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.endpointId, endpoint.id), eq(messages.status, 'archived')));
    expect(rows).toHaveLength(MESSAGES + 1);
  }, 150_000);
});
