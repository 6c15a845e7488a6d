import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LocalWormStore } from './local-store';
import {
  WormConflictError,
  WormError,
  WormIntegrityError,
  WormNotFoundError,
  WormRetentionError,
  WormTooLargeError,
} from './store';

const KEY =
  'tenants/0b6f4c1e-7a0e-4a47-9a59-0d0f0b7b3a10/messages/5c2d1e0a-1f3b-4c5d-8e9f-a0b1c2d3e4f5/body.bin';
const T0 = new Date('2030-01-01T00:00:00.000Z');
const RETAIN_UNTIL = new Date('2031-01-01T00:00:00.000Z');
const opts = { contentType: 'application/octet-stream', retainUntil: RETAIN_UNTIL };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A store in a fresh temp dir whose clock the test can move. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'worm-local-'));
  const clock = { now: T0 };
  const store = new LocalWormStore(root, { now: () => clock.now });
  return { root, clock, store, objectPath: join(root, ...KEY.split('/')) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function tempFiles(root: string): string[] {
  const dir = join(root, '.tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('LocalWormStore', () => {
  it('lists the sealed objects under a prefix, not sidecars, unsealed files or other prefixes', async () => {
    const { store, root } = setup();
    const t = 'tenants/0b6f4c1e-7a0e-4a47-9a59-0d0f0b7b3a10';
    await store.put(`${t}/ledger/checkpoints/1`, Buffer.from('one'), opts);
    await store.put(`${t}/ledger/checkpoints/20`, Buffer.from('twenty'), opts);
    await store.put(`${t}/messages/m/manifest.json`, Buffer.from('{}'), opts);
    // A data file whose sidecar was never written: a put that crashed midway, not sealed.
    writeFileSync(join(root, ...`${t}/ledger/checkpoints/3`.split('/')), 'half');
    const list = async (prefix: string) => {
      const out: { key: string; size: number }[] = [];
      for await (const o of store.list(prefix)) out.push({ key: o.key, size: o.size });
      return out.sort((a, b) => a.key.localeCompare(b.key));
    };
    expect(await list(`${t}/ledger/checkpoints/`)).toEqual([
      { key: `${t}/ledger/checkpoints/1`, size: 3 },
      { key: `${t}/ledger/checkpoints/20`, size: 6 },
    ]);
    expect((await list(`${t}/`)).map((o) => o.key)).toContain(`${t}/messages/m/manifest.json`);
    expect(await list(`${t}/nothing/`)).toEqual([]);
    await expect(list('tenants/../x/')).rejects.toThrow(WormError);
    await expect(list(`${t}/ledger`)).rejects.toThrow(WormError);
  });

  it('round-trips bytes with the right sha256 and size', async () => {
    const { store, root } = setup();
    const bytes = Buffer.from('hello worm');
    const res = await store.put(KEY, bytes, opts);
    expect(res).toEqual({ key: KEY, sha256: sha256(bytes), size: bytes.length, created: true });
    expect(await readAll(await store.get(KEY))).toEqual(bytes);
    expect(await store.head(KEY)).toEqual({
      key: KEY,
      sha256: sha256(bytes),
      size: bytes.length,
      contentType: opts.contentType,
      retainUntil: RETAIN_UNTIL,
      legalHold: false,
    });
    expect(tempFiles(root)).toEqual([]);
  });

  it('accepts a stream body', async () => {
    const { store } = setup();
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const all = Buffer.concat(parts);
    const res = await store.put(KEY, Readable.from(parts), { ...opts, expectedSha256: sha256(all) });
    expect(res).toMatchObject({ sha256: sha256(all), size: all.length, created: true });
    expect((await readAll(await store.get(KEY))).equals(all)).toBe(true);
  });

  it('treats a retry with the same bytes as success (created: false)', async () => {
    const { store } = setup();
    const bytes = Buffer.from('same');
    await store.put(KEY, bytes, opts);
    const again = await store.put(KEY, Readable.from([bytes]), opts);
    expect(again).toEqual({ key: KEY, sha256: sha256(bytes), size: bytes.length, created: false });
  });

  it('refuses different bytes for a sealed key and keeps the original', async () => {
    const { store, root } = setup();
    const original = Buffer.from('original');
    await store.put(KEY, original, opts);
    const err = await store.put(KEY, Buffer.from('tampered'), opts).catch((e) => e);
    expect(err).toBeInstanceOf(WormConflictError);
    expect(err).toMatchObject({
      existingSha256: sha256(original),
      newSha256: sha256(Buffer.from('tampered')),
    });
    expect(await readAll(await store.get(KEY))).toEqual(original);
    expect((await store.head(KEY))?.sha256).toBe(sha256(original));
    expect(tempFiles(root)).toEqual([]);
  });

  it('lets concurrent puts of the same bytes both succeed, exactly one creating', async () => {
    const { store } = setup();
    const bytes = Buffer.from('concurrent');
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(KEY, bytes, opts)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.sha256 === sha256(bytes))).toBe(true);
    expect((await store.head(KEY))?.sha256).toBe(sha256(bytes));
  });

  it('lets exactly one of concurrent puts with different bytes win', async () => {
    const { store } = setup();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(`body ${i}`));
    const settled = await Promise.allSettled(bodies.map((b) => store.put(KEY, b, opts)));
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.filter((s) => s.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((s) => s.reason instanceof WormConflictError)).toBe(true);
    const winner = bodies[settled.findIndex((s) => s.status === 'fulfilled')]!;
    expect(await readAll(await store.get(KEY))).toEqual(winner);
  });

  it('makes the sealed file read-only', async () => {
    const { store, objectPath } = setup();
    await store.put(KEY, Buffer.from('ro'), opts);
    // Tests run as root, which ignores mode bits on write, so assert the bits themselves.
    expect(statSync(objectPath).mode & 0o222).toBe(0);
  });

  it('refuses delete while retention runs and allows it afterwards', async () => {
    const { store, clock, objectPath } = setup();
    await store.put(KEY, Buffer.from('retained'), opts);
    await expect(store.delete(KEY)).rejects.toBeInstanceOf(WormRetentionError);
    expect(existsSync(objectPath)).toBe(true);
    clock.now = RETAIN_UNTIL;
    await store.delete(KEY);
    expect(existsSync(objectPath)).toBe(false);
    expect(existsSync(`${objectPath}.meta.json`)).toBe(false);
    expect(await store.head(KEY)).toBeNull();
    await expect(store.get(KEY)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it('blocks delete under legal hold even after retention, until released', async () => {
    const { store, clock, objectPath } = setup();
    await store.put(KEY, Buffer.from('held'), opts);
    await store.setLegalHold(KEY, true);
    expect((await store.head(KEY))?.legalHold).toBe(true);
    clock.now = new Date(RETAIN_UNTIL.getTime() + 86_400_000);
    await expect(store.delete(KEY)).rejects.toBeInstanceOf(WormRetentionError);
    expect(existsSync(objectPath)).toBe(true);
    await store.setLegalHold(KEY, false);
    await store.delete(KEY);
    expect(existsSync(objectPath)).toBe(false);
  });

  it('rejects a legal hold on a missing object', async () => {
    const { store } = setup();
    await expect(store.setLegalHold(KEY, true)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it('rejects an expectedSha256 mismatch and leaves nothing behind', async () => {
    const { store, root, objectPath } = setup();
    const err = store.put(KEY, Buffer.from('abc'), { ...opts, expectedSha256: sha256(Buffer.from('xyz')) });
    await expect(err).rejects.toBeInstanceOf(WormIntegrityError);
    expect(existsSync(objectPath)).toBe(false);
    expect(await store.head(KEY)).toBeNull();
    expect(tempFiles(root)).toEqual([]);
  });

  it('recreates its temp directory if it is removed while the store runs', async () => {
    const { store, root } = setup();
    await store.put(KEY, Buffer.from('first'), opts);
    rmSync(join(root, '.tmp'), { recursive: true });
    const other = KEY.replace('body.bin', 'other.bin');
    await expect(store.put(other, Buffer.from('second'), opts)).resolves.toMatchObject({ created: true });
    expect(await readAll(await store.get(other))).toEqual(Buffer.from('second'));
    expect(tempFiles(root)).toEqual([]);
  });

  it('rejects a body over maxBytes, destroying the stream and leaving nothing behind', async () => {
    const { store, root, objectPath } = setup();
    const body = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(1024)));
    const err = store.put(KEY, body, { ...opts, maxBytes: 4096 });
    await expect(err).rejects.toBeInstanceOf(WormTooLargeError);
    expect(body.destroyed).toBe(true);
    expect(existsSync(objectPath)).toBe(false);
    expect(tempFiles(root)).toEqual([]);
    await expect(store.put(KEY, Buffer.alloc(10), { ...opts, maxBytes: 9 })).rejects.toBeInstanceOf(
      WormTooLargeError,
    );
    expect(tempFiles(root)).toEqual([]);
  });

  it.each([
    '../x',
    '/abs',
    'a//b',
    'a/../b',
    '',
    'a/',
    'a/./b',
    'a b',
    '.tmp/x',
    'a.meta.json',
    'x'.repeat(513),
  ])('rejects the bad key %j', async (key) => {
    const { store } = setup();
    await expect(store.put(key, Buffer.from('x'), opts)).rejects.toBeInstanceOf(WormError);
    await expect(store.get(key)).rejects.toBeInstanceOf(WormError);
    await expect(store.head(key)).rejects.toBeInstanceOf(WormError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(WormError);
  });

  it('recovers a data file whose sidecar was never written', async () => {
    const { store, objectPath } = setup();
    const bytes = Buffer.from('crashed before sidecar');
    mkdirSync(join(objectPath, '..'), { recursive: true });
    writeFileSync(objectPath, bytes);
    // Unknown retention: the object must not be deletable, and it is not sealed yet.
    expect(await store.head(KEY)).toBeNull();
    await expect(store.delete(KEY)).rejects.toBeInstanceOf(WormRetentionError);
    const res = await store.put(KEY, bytes, opts);
    expect(res).toEqual({ key: KEY, sha256: sha256(bytes), size: bytes.length, created: false });
    expect(existsSync(`${objectPath}.meta.json`)).toBe(true);
    expect(await store.head(KEY)).toMatchObject({ sha256: sha256(bytes), retainUntil: RETAIN_UNTIL });
  });

  it('does not write a sidecar for a sidecar-less object with different bytes', async () => {
    const { store, objectPath } = setup();
    mkdirSync(join(objectPath, '..'), { recursive: true });
    writeFileSync(objectPath, 'someone else');
    await expect(store.put(KEY, Buffer.from('mine'), opts)).rejects.toBeInstanceOf(WormConflictError);
    expect(existsSync(`${objectPath}.meta.json`)).toBe(false);
  });

  it('extends retention, never shortens it: by a put of the same bytes and by extendRetention', async () => {
    const { store } = setup();
    const bytes = Buffer.from('kept longer');
    await store.put(KEY, bytes, opts);
    const later = new Date('2032-01-01T00:00:00.000Z');
    expect((await store.put(KEY, bytes, { ...opts, retainUntil: later })).created).toBe(false);
    expect((await store.head(KEY))?.retainUntil).toEqual(later);
    await store.put(KEY, bytes, opts); // an earlier date changes nothing
    await store.extendRetention(KEY, RETAIN_UNTIL);
    expect((await store.head(KEY))?.retainUntil).toEqual(later);
    const latest = new Date('2033-06-01T00:00:00.000Z');
    await store.setLegalHold(KEY, true);
    await store.extendRetention(KEY, latest);
    expect(await store.head(KEY)).toMatchObject({ retainUntil: latest, legalHold: true });
    await expect(store.extendRetention(`${KEY}.absent`, latest)).rejects.toBeInstanceOf(WormNotFoundError);
  });

  it('keeps a legal hold and the latest retention when holds and extensions race', async () => {
    const { store, root } = setup();
    await store.put(KEY, Buffer.from('raced'), opts);
    const dates = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2032 + i, 0, 1)));
    await Promise.all([
      ...dates.map((d) => store.extendRetention(KEY, d)),
      store.setLegalHold(KEY, true),
      ...dates.map((d) => store.put(KEY, Buffer.from('raced'), { ...opts, retainUntil: d })),
    ]);
    expect(await store.head(KEY)).toMatchObject({ legalHold: true, retainUntil: dates.at(-1) });
    const left = readdirSync(join(root, ...KEY.split('/').slice(0, -1)));
    expect(left.filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('never shortens retention when a stale sidecar is found for the same bytes', async () => {
    const { store, objectPath } = setup();
    const bytes = Buffer.from('stale');
    await store.put(KEY, bytes, opts);
    // Simulate an interrupted delete: data gone, sidecar left behind.
    rmSync(objectPath);
    const later = new Date('2040-01-01T00:00:00.000Z');
    const res = await store.put(KEY, bytes, { ...opts, retainUntil: later });
    expect(res.created).toBe(true);
    expect((await store.head(KEY))?.retainUntil).toEqual(later);
  });
});
