// The S3 WORM store against a real S3 server with Object Lock (SeaweedFS `weed mini`, started
// here). Besides the store's own behaviour, these tests prove that the *server* enforces the
// lock: raw S3 calls that try to delete, overwrite or weaken a sealed object are refused.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3WormStore } from '../worm/s3-store';
import {
  WormConflictError,
  WormError,
  WormIntegrityError,
  WormNotFoundError,
  WormRetentionError,
  WormTooLargeError,
} from '../worm/store';
import { type SeaweedFs, startSeaweedFs } from './helpers/seaweedfs';

const CONTENT_TYPE = 'application/x-worm-test';

let sw: SeaweedFs;
let s3: S3Client;
let bucket: string;
let plainBucket: string;
let store: S3WormStore;
let workDir: string;
let spoolDir: string;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A whole second at least `ms` from now (S3 keeps retention dates to the second). */
function secondsFromNow(ms: number): Date {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
}

const longRetention = () => ({ contentType: CONTENT_TYPE, retainUntil: secondsFromNow(3600_000) });
const newKey = () => `tenants/t1/messages/${randomUUID()}/body.bin`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function versionsOf(key: string) {
  const res = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return {
    versions: (res.Versions ?? []).filter((v) => v.Key === key),
    deleteMarkers: (res.DeleteMarkers ?? []).filter((m) => m.Key === key),
  };
}

/** Runs `fn` expecting the server to refuse; returns the HTTP status and error name. */
async function refusal(fn: () => Promise<unknown>): Promise<{ status?: number; name?: string }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode, name: e.name };
  }
  throw new Error('the server accepted a request it must refuse');
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 's3-worm-test-'));
  spoolDir = join(workDir, 'spool');
  sw = await startSeaweedFs({ dataDir: join(workDir, 'seaweedfs') });
  s3 = new S3Client({
    endpoint: sw.endpoint,
    region: sw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: sw.accessKeyId, secretAccessKey: sw.secretAccessKey },
  });
  const suffix = randomUUID().slice(0, 8);
  bucket = `worm-${suffix}`;
  plainBucket = `plain-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(new CreateBucketCommand({ Bucket: plainBucket }));
  store = await S3WormStore.open({ client: s3, bucket, tmpDir: spoolDir });
});

afterAll(async () => {
  s3?.destroy();
  if (sw) {
    await sw.stop();
    expect(sw.process.exitCode !== null || sw.process.signalCode !== null).toBe(true);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('S3WormStore on SeaweedFS with Object Lock', () => {
  it('writes COMPLIANCE retention, the SHA-256 checksum and metadata, and reads them back', async () => {
    const key = newKey();
    const bytes = Buffer.from('hello worm');
    const opts = longRetention();
    const res = await store.put(key, bytes, opts);
    expect(res).toEqual({ key, sha256: sha256(bytes), size: bytes.length, created: true });

    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: opts.retainUntil });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(Buffer.from(sha256(bytes), 'hex').toString('base64'));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate).toEqual(opts.retainUntil);
    expect(head.Metadata).toMatchObject({ sha256: sha256(bytes) });
    expect(head.VersionId).toBeTruthy();

    expect(await store.head(key)).toEqual({
      key,
      sha256: sha256(bytes),
      size: bytes.length,
      contentType: CONTENT_TYPE,
      retainUntil: opts.retainUntil,
      legalHold: false,
    });
    expect(await readAll(await store.get(key))).toEqual(bytes);
  });

  it('rounds a sub-second retainUntil up, never down', async () => {
    const key = newKey();
    const retainUntil = new Date(secondsFromNow(3600_000).getTime() + 250);
    await store.put(key, Buffer.from('ms'), { contentType: CONTENT_TYPE, retainUntil });
    const info = await store.head(key);
    expect(info?.retainUntil.getTime()).toBe(retainUntil.getTime() + 750);
  });

  it('server: refuses a DeleteObject with the VersionId of a sealed object, and a bypass', async () => {
    const key = newKey();
    const bytes = Buffer.from('sealed');
    await store.put(key, bytes, longRetention());
    const { versions } = await versionsOf(key);
    expect(versions).toHaveLength(1);
    const versionId = versions[0]!.VersionId!;

    const del = await refusal(() =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })),
    );
    expect(del).toEqual({ status: 403, name: 'AccessDenied' });
    // COMPLIANCE (unlike GOVERNANCE) cannot be bypassed by anyone.
    const bypass = await refusal(() =>
      s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: key,
          VersionId: versionId,
          BypassGovernanceRetention: true,
        }),
      ),
    );
    expect(bypass.status).toBe(403);
    // Nor can retention be shortened or downgraded.
    const shorten = await refusal(() =>
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: bucket,
          Key: key,
          VersionId: versionId,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: secondsFromNow(5_000) },
        }),
      ),
    );
    expect(shorten.status).toBeGreaterThanOrEqual(400);
    const downgrade = await refusal(() =>
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: bucket,
          Key: key,
          VersionId: versionId,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: secondsFromNow(7200_000) },
        }),
      ),
    );
    expect(downgrade.status).toBeGreaterThanOrEqual(400);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(bytes);
    expect((await store.head(key))?.sha256).toBe(sha256(bytes));
  });

  it('server: refuses an overwrite with If-None-Match, and a plain overwrite keeps the original', async () => {
    const key = newKey();
    const original = Buffer.from('original');
    const opts = longRetention();
    await store.put(key, original, opts);
    const [first] = (await versionsOf(key)).versions;

    const conditional = await refusal(() =>
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('evil'), IfNoneMatch: '*' }),
      ),
    );
    expect(conditional).toEqual({ status: 412, name: 'PreconditionFailed' });

    // Without the condition S3 accepts the write, but as a new version on top: the sealed
    // version is untouched, still retained, still readable.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('evil') }));
    const { versions } = await versionsOf(key);
    expect(versions).toHaveLength(2);
    const sealed = versions.find((v) => v.VersionId === first!.VersionId);
    expect(sealed).toMatchObject({ Size: original.length, IsLatest: false });
    const retention = await s3.send(
      new GetObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: first!.VersionId }),
    );
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: opts.retainUntil });
    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: first!.VersionId }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(original);
    // And the sealed version still cannot be deleted.
    const del = await refusal(() =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: first!.VersionId })),
    );
    expect(del.status).toBe(403);
  });

  it('server: a plain DeleteObject only adds a delete marker; the sealed version survives', async () => {
    const key = newKey();
    const bytes = Buffer.from('marker');
    await store.put(key, bytes, longRetention());
    const [sealed] = (await versionsOf(key)).versions;
    const res = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    expect(res.DeleteMarker).toBe(true);
    const after = await versionsOf(key);
    expect(after.deleteMarkers).toHaveLength(1);
    expect(after.versions.map((v) => v.VersionId)).toEqual([sealed!.VersionId]);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: sealed!.VersionId }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(bytes);
  });

  it('server: verifies the SHA-256 checksum and stores nothing on a mismatch', async () => {
    const key = newKey();
    const bad = await refusal(() =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: Buffer.from('payload'),
          ChecksumSHA256: Buffer.alloc(32).toString('base64'),
          IfNoneMatch: '*',
        }),
      ),
    );
    expect(bad).toEqual({ status: 400, name: 'BadDigest' });
    expect((await versionsOf(key)).versions).toHaveLength(0);
  });

  it('store.delete refuses while retention runs (its own check and the server)', async () => {
    const key = newKey();
    await store.put(key, Buffer.from('retained'), longRetention());
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormRetentionError);
    // A store whose clock says retention is over skips its own check: the server still refuses.
    const lateStore = new S3WormStore({
      client: s3,
      bucket,
      tmpDir: spoolDir,
      now: () => new Date(Date.now() + 10 * 3600_000),
    });
    const err = await lateStore.delete(key).catch((e) => e);
    expect(err).toBeInstanceOf(WormRetentionError);
    expect(String(err.message)).toMatch(/refused by the server \(403 AccessDenied/);
    expect((await versionsOf(key)).versions).toHaveLength(1);
    expect(await store.head(key)).not.toBeNull();
  });

  it('treats a retry with the same bytes as success (created: false)', async () => {
    const key = newKey();
    const bytes = Buffer.from('same bytes');
    expect((await store.put(key, bytes, longRetention())).created).toBe(true);
    const again = await store.put(key, Buffer.from(bytes), longRetention());
    expect(again).toEqual({ key, sha256: sha256(bytes), size: bytes.length, created: false });
    const streamed = await store.put(key, Readable.from([bytes]), longRetention());
    expect(streamed).toEqual({ key, sha256: sha256(bytes), size: bytes.length, created: false });
    expect((await versionsOf(key)).versions).toHaveLength(1);
  });

  it('extends COMPLIANCE retention, never shortens it: by a put of the same bytes and by extendRetention', async () => {
    const key = newKey();
    const bytes = Buffer.from('kept longer');
    const first = secondsFromNow(3600_000);
    await store.put(key, bytes, { contentType: CONTENT_TYPE, retainUntil: first });
    const later = secondsFromNow(7200_000);
    expect((await store.put(key, bytes, { contentType: CONTENT_TYPE, retainUntil: later })).created).toBe(
      false,
    );
    const retention = async () =>
      (await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }))).Retention;
    expect(await retention()).toMatchObject({ Mode: 'COMPLIANCE', RetainUntilDate: later });
    await store.extendRetention(key, first); // earlier: nothing changes
    expect((await store.head(key))?.retainUntil).toEqual(later);
    const latest = secondsFromNow(10_800_000);
    await store.extendRetention(key, latest);
    expect(await retention()).toMatchObject({ Mode: 'COMPLIANCE', RetainUntilDate: latest });
    expect((await versionsOf(key)).versions).toHaveLength(1);
    await expect(store.extendRetention(newKey(), latest)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it('refuses different bytes for a sealed key and keeps the original', async () => {
    const key = newKey();
    const original = Buffer.from('original');
    await store.put(key, original, longRetention());
    const err = await store.put(key, Buffer.from('tampered'), longRetention()).catch((e) => e);
    expect(err).toBeInstanceOf(WormConflictError);
    expect(err).toMatchObject({
      existingSha256: sha256(original),
      newSha256: sha256(Buffer.from('tampered')),
    });
    const streamErr = await store
      .put(key, Readable.from([Buffer.from('tampered')]), longRetention())
      .catch((e) => e);
    expect(streamErr).toBeInstanceOf(WormConflictError);
    expect(await readAll(await store.get(key))).toEqual(original);
    expect((await versionsOf(key)).versions).toHaveLength(1);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('lets exactly one of concurrent puts win: same bytes create once, different bytes conflict', async () => {
    const key = newKey();
    const bytes = Buffer.from('concurrent');
    // Buffers race on If-None-Match; streams look first and then race the same way.
    const same = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.put(key, i % 2 ? Readable.from([bytes]) : bytes, longRetention()),
      ),
    );
    expect(same.filter((r) => r.created)).toHaveLength(1);
    expect((await versionsOf(key)).versions).toHaveLength(1);

    const other = newKey();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(`body ${i}`));
    const settled = await Promise.allSettled(
      bodies.map((b, i) => store.put(other, i % 2 ? Readable.from([b]) : b, longRetention())),
    );
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.filter((s) => s.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((s) => s.reason instanceof WormConflictError)).toBe(true);
    const winner = bodies[settled.findIndex((s) => s.status === 'fulfilled')]!;
    expect(await readAll(await store.get(other))).toEqual(winner);
    expect((await versionsOf(other)).versions).toHaveLength(1);
  });

  it('sets and releases a legal hold, visible to GetObjectLegalHold and head', async () => {
    const key = newKey();
    await store.put(key, Buffer.from('held'), longRetention());
    await store.setLegalHold(key, true);
    const on = await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }));
    expect(on.LegalHold?.Status).toBe('ON');
    // Content type survives (SeaweedFS resets the Content-Type header on a legal-hold change).
    expect(await store.head(key)).toMatchObject({ legalHold: true, contentType: CONTENT_TYPE });
    await store.setLegalHold(key, false);
    const off = await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }));
    expect(off.LegalHold?.Status).toBe('OFF');
    expect(await store.head(key)).toMatchObject({ legalHold: false, contentType: CONTENT_TYPE });
  });

  it('deletes for real once retention is over, but not under a legal hold', async () => {
    const key = newKey();
    const retainUntil = secondsFromNow(2_000);
    await store.put(key, Buffer.from('short'), { contentType: CONTENT_TYPE, retainUntil });
    await store.setLegalHold(key, true);
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormRetentionError);
    await new Promise((r) => setTimeout(r, retainUntil.getTime() - Date.now() + 1_100));

    // Retention over, hold on: the server refuses too (checked with a raw delete by version).
    const [version] = (await versionsOf(key)).versions;
    const held = await refusal(() =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version!.VersionId })),
    );
    expect(held.status).toBe(403);
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormRetentionError);

    await store.setLegalHold(key, false);
    await store.delete(key);
    expect(await store.head(key)).toBeNull();
    await expect(store.get(key)).rejects.toBeInstanceOf(WormNotFoundError);
    // A real deletion: no version left behind, and no delete marker hiding one.
    expect(await versionsOf(key)).toEqual({ versions: [], deleteMarkers: [] });
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it('round-trips a 20 MB stream with the right sha256, spooling to disk and cleaning up', async () => {
    const key = newKey();
    const chunk = 1024 * 1024;
    const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(chunk, i + 1));
    const expected = createHash('sha256');
    for (const p of parts) expected.update(p);
    const digest = expected.digest('hex');
    const res = await store.put(key, Readable.from(parts), { ...longRetention(), expectedSha256: digest });
    expect(res).toEqual({ key, sha256: digest, size: 20 * chunk, created: true });
    const hash = createHash('sha256');
    let size = 0;
    for await (const c of await store.get(key)) {
      hash.update(c as Buffer);
      size += (c as Buffer).length;
    }
    expect({ sha256: hash.digest('hex'), size }).toEqual({ sha256: digest, size: 20 * chunk });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(Buffer.from(digest, 'hex').toString('base64'));
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('rejects an expectedSha256 mismatch and a body over maxBytes, storing nothing', async () => {
    const key = newKey();
    const wrong = sha256(Buffer.from('xyz'));
    await expect(
      store.put(key, Buffer.from('abc'), { ...longRetention(), expectedSha256: wrong }),
    ).rejects.toBeInstanceOf(WormIntegrityError);
    const stream = Readable.from([Buffer.from('abc')]);
    await expect(
      store.put(key, stream, { ...longRetention(), expectedSha256: wrong }),
    ).rejects.toBeInstanceOf(WormIntegrityError);

    const big = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(1024)));
    await expect(store.put(key, big, { ...longRetention(), maxBytes: 4096 })).rejects.toBeInstanceOf(
      WormTooLargeError,
    );
    expect(big.destroyed).toBe(true);
    await expect(
      store.put(key, Buffer.alloc(10), { ...longRetention(), maxBytes: 9 }),
    ).rejects.toBeInstanceOf(WormTooLargeError);
    expect(await store.head(key)).toBeNull();
    expect((await versionsOf(key)).versions).toHaveLength(0);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('reports missing objects', async () => {
    const key = newKey();
    expect(await store.head(key)).toBeNull();
    await expect(store.get(key)).rejects.toBeInstanceOf(WormNotFoundError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormNotFoundError);
    await expect(store.setLegalHold(key, true)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it.each(['../x', '/abs', 'a//b', ''])('rejects the bad key %j', async (key) => {
    await expect(store.put(key, Buffer.from('x'), longRetention())).rejects.toBeInstanceOf(WormError);
    await expect(store.get(key)).rejects.toBeInstanceOf(WormError);
    await expect(store.head(key)).rejects.toBeInstanceOf(WormError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormError);
  });

  it('seals an identical object that was written without retention, instead of trusting it', async () => {
    const key = newKey();
    const bytes = Buffer.from('foreign');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    expect(await store.head(key)).toBeNull();
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormRetentionError);
    const opts = longRetention();
    const res = await store.put(key, bytes, opts);
    expect(res).toEqual({ key, sha256: sha256(bytes), size: bytes.length, created: false });
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: opts.retainUntil });
    expect(await store.head(key)).toMatchObject({ sha256: sha256(bytes), retainUntil: opts.retainUntil });
  });

  it('open() refuses a bucket without Object Lock, and a missing bucket', async () => {
    await expect(S3WormStore.open({ client: s3, bucket: plainBucket, tmpDir: spoolDir })).rejects.toThrow(
      `bucket ${plainBucket} does not have Object Lock enabled; WORM storage refuses to start`,
    );
    await expect(
      S3WormStore.open({ client: s3, bucket: `missing-${randomUUID().slice(0, 8)}`, tmpDir: spoolDir }),
    ).rejects.toThrow(/does not exist; WORM storage refuses to start/);
  });

  it('refuses unsigned (anonymous) requests', async () => {
    const res = await fetch(`${sw.endpoint}/${bucket}/`);
    expect(res.status).toBe(403);
  });
});
