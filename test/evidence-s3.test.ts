// The ledger audit against a real S3 server with Object Lock (SeaweedFS): COMPLIANCE mode keeps
// every sealed version, but anyone with write access can still hide one behind a delete marker.
// The audit must see that as a missing object (and a missing sealed checkpoint), not pass.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/client';
import { endpoints, ledgerCheckpoints, messages, tenants } from '../db/schema';
import { openKeyring } from '../evidence/signing-key';
import { appendLeaf } from '../ledger/append';
import { auditTenant } from '../ledger/audit';
import type { EvidenceDeps } from '../ledger/deps';
import { integrateIfDue } from '../ledger/integrate';
import { manifestKey, messageRecordKey, rawBodyKey } from '../worm/keys';
import { S3WormStore } from '../worm/s3-store';
import { testDatabaseUrl } from './helpers/database';
import { type SeaweedFs, startSeaweedFs } from './helpers/seaweedfs';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let sw: SeaweedFs;
let s3: S3Client;
let bucket: string;
let workDir: string;
let database: Database;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'evidence-s3-'));
  sw = await startSeaweedFs({ dataDir: join(workDir, 'seaweedfs') });
  s3 = new S3Client({
    endpoint: sw.endpoint,
    region: sw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sw.accessKeyId, secretAccessKey: sw.secretAccessKey },
  });
  bucket = `ledger-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  database = openDatabase({ url: await testDatabaseUrl() });
}, 60_000);

afterAll(async () => {
  await database?.close();
  s3?.destroy();
  await sw?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('ledger audit on S3 Object Lock', () => {
  it('passes on intact objects, then reports objects and checkpoints hidden by delete markers', async () => {
    const worm = await S3WormStore.open({ client: s3, bucket, tmpDir: join(workDir, 'spool') });
    const { db } = database;
    const evidence: EvidenceDeps = {
      keyring: openKeyring({ DATA_DIR: join(workDir, 'keys') }),
      logHost: 'archive.test',
      auditSample: 100,
      auditIntervalSeconds: 3600,
    };
    const deps = { db, worm, evidence };
    // S3 retention is kept to the second and must outlive the test, nothing more.
    const [tenant] = await db.insert(tenants).values({ name: 's3-ledger', retentionDays: 1 }).returning();
    const tenantId = tenant!.id;
    const [endpoint] = await db
      .insert(endpoints)
      .values({
        tenantId,
        name: 's3',
        tokenHash: randomUUID(),
        tokenSealed: 'x',
        authMode: 'bearer',
        secretSealed: 'x',
      })
      .returning();
    const retainUntil = new Date(Math.ceil((Date.now() + 3_600_000) / 1000) * 1000);
    const opts = { contentType: 'application/json', retainUntil };

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      ids.push(id);
      const raw = Buffer.from(JSON.stringify({ external_id: `s3-${i}`, body: `b${i}` }));
      const record = Buffer.from(JSON.stringify({ message_id: id }));
      const rawPut = await worm.put(rawBodyKey(tenantId, sha256(raw)), raw, opts);
      const recPut = await worm.put(messageRecordKey(tenantId, id), record, opts);
      const manifest = Buffer.from(
        JSON.stringify({
          message_id: id,
          external_id: `s3-${i}`,
          tenant_id: tenantId,
          endpoint: { id: endpoint!.id },
          raw_body: { key: rawPut.key, sha256: rawPut.sha256, size: rawPut.size },
          record: { key: recPut.key, sha256: recPut.sha256, size: recPut.size },
        }),
      );
      const man = await worm.put(manifestKey(tenantId, id), manifest, opts);
      await db.insert(messages).values({
        id,
        tenantId,
        endpointId: endpoint!.id,
        externalId: `s3-${i}`,
        receivedAt: new Date(),
        rawSha256: rawPut.sha256,
        rawSize: rawPut.size,
        requestId: randomUUID(),
        workflowId: `wf-${id}`,
        status: 'archived',
        manifestKey: man.key,
      });
      await appendLeaf(db, { tenantId, messageId: id, manifestKey: man.key, manifestSha256: man.sha256 });
    }
    const integrated = await integrateIfDue(deps, tenantId);
    expect(integrated).toMatchObject({ integrated: true, treeSize: 3 });

    const clean = await auditTenant(deps, tenantId, { sample: Number.POSITIVE_INFINITY, graceMs: 0 });
    expect(clean.problems).toEqual([]);

    // A plain DeleteObject is allowed under Object Lock: it adds a delete marker over the version.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: messageRecordKey(tenantId, ids[1]!) }));
    await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: `tenants/${tenantId}/ledger/checkpoints/3` }),
    );

    const report = await auditTenant(deps, tenantId, { sample: Number.POSITIVE_INFINITY, graceMs: 0 });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'object_missing',
          messageId: ids[1],
          key: messageRecordKey(tenantId, ids[1]!),
        }),
        expect.objectContaining({ kind: 'checkpoint_unsealed', treeSize: 3 }),
      ]),
    );
    expect(report.problems).toHaveLength(2);
  }, 90_000);

  it('reports a deleted checkpoint row and a row whose bytes differ from the sealed object', async () => {
    const worm = await S3WormStore.open({ client: s3, bucket, tmpDir: join(workDir, 'spool2') });
    const { db } = database;
    const evidence: EvidenceDeps = {
      keyring: openKeyring({ DATA_DIR: join(workDir, 'keys2') }),
      logHost: 'archive.test',
      auditSample: 0,
      auditIntervalSeconds: 3600,
    };
    const deps = { db, worm, evidence };
    const [tenant] = await db
      .insert(tenants)
      .values({ name: 's3-checkpoints', retentionDays: 1 })
      .returning();
    const tenantId = tenant!.id;
    // Three checkpoints (sizes 1, 2, 3), each sealed before its row is written.
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      await appendLeaf(db, {
        tenantId,
        messageId: id,
        manifestKey: manifestKey(tenantId, id),
        manifestSha256: sha256(Buffer.from(`leaf ${i}`)),
      });
      expect(await integrateIfDue(deps, tenantId, { maxLeaves: 1, maxAgeMs: 0 })).toMatchObject({
        integrated: true,
        treeSize: i + 1,
      });
    }
    // The audit also checks archived messages; these leaves have none, which it reports as
    // missing rows. Only the checkpoint findings matter here.
    const checkpointProblems = async () =>
      (await auditTenant(deps, tenantId, { sample: 0, graceMs: 0 })).problems.filter((p) =>
        p.kind.startsWith('checkpoint_'),
      );
    expect(await checkpointProblems()).toEqual([]);

    // Someone with database access removes one checkpoint row and rewrites another's note
    // (same length: a changed signature character), leaving WORM as sealed.
    await db
      .delete(ledgerCheckpoints)
      .where(and(eq(ledgerCheckpoints.tenantId, tenantId), eq(ledgerCheckpoints.treeSize, 2)));
    const [one] = await db
      .select()
      .from(ledgerCheckpoints)
      .where(and(eq(ledgerCheckpoints.tenantId, tenantId), eq(ledgerCheckpoints.treeSize, 1)));
    const sig = one!.note.trimEnd().split(' ').at(-1)!;
    const forged = one!.note.replace(sig, `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
    expect(forged.length).toBe(one!.note.length);
    await db
      .update(ledgerCheckpoints)
      .set({ note: forged })
      .where(and(eq(ledgerCheckpoints.tenantId, tenantId), eq(ledgerCheckpoints.treeSize, 1)));

    const problems = await checkpointProblems();
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'checkpoint_row_missing',
          treeSize: 2,
          key: `tenants/${tenantId}/ledger/checkpoints/2`,
          detail: expect.stringContaining('its row was deleted'),
        }),
        expect.objectContaining({ kind: 'checkpoint_mismatch', treeSize: 1 }),
      ]),
    );
    expect(problems).toHaveLength(2);
  }, 90_000);
});
