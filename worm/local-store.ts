// WORM store on a local directory. Immutability comes from never overwriting: every object is
// written to a temp file, fsynced, and then hard-linked into place (link() fails with EEXIST
// instead of replacing, unlike rename()). Retention lives in a `<object>.meta.json` sidecar,
// the only file that is ever replaced (atomically, via rename, under a per-object lock file): to
// toggle a legal hold or to extend retention, never to shorten it.
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { z } from 'zod';
import { SHA256_RE, SIDECAR_SUFFIX, TMP_DIR, validateKey, validatePrefix, validatePutOptions } from './keys';
import {
  releasingBodyOnFailure,
  WormConflictError,
  WormError,
  WormIntegrityError,
  type WormListEntry,
  WormNotFoundError,
  type WormObjectInfo,
  type WormPutOptions,
  type WormPutResult,
  WormRetentionError,
  type WormStore,
  WormTooLargeError,
} from './store';

// The put path's file operations (about twenty per object) use the callback API: it costs ~30 %
// less CPU per operation than fs/promises' FileHandle (measured here: 132–157 against 193–253 µs
// for an open, write, fsync, close and unlink of a 1 KB file).
const fsCall = {
  open: promisify(fs.open),
  write: promisify(fs.write),
  fsync: promisify(fs.fsync),
  close: promisify(fs.close),
  link: promisify(fs.link),
  unlink: promisify(fs.unlink),
};

const sidecarSchema = z.object({
  sha256: z.string().regex(SHA256_RE),
  size: z.number().int().nonnegative(),
  contentType: z.string(),
  retainUntil: z.iso.datetime(),
  legalHold: z.boolean(),
});
type Sidecar = z.infer<typeof sidecarSchema>;

export class LocalWormStore implements WormStore {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly now: () => Date;

  constructor(rootDir: string, opts: { now?: () => Date } = {}) {
    this.root = resolve(rootDir);
    this.tmpDir = join(this.root, TMP_DIR);
    this.now = opts.now ?? (() => new Date());
  }

  put(key: string, body: Uint8Array | Readable, opts: WormPutOptions): Promise<WormPutResult> {
    return releasingBodyOnFailure(body, () => this.putChecked(key, body, opts));
  }

  private async putChecked(
    key: string,
    body: Uint8Array | Readable,
    opts: WormPutOptions,
  ): Promise<WormPutResult> {
    const path = this.pathFor(key);
    validatePutOptions(opts);
    // Read-only from its creation (our descriptor may still write), so the sealed object is
    // never writable.
    const { tmp, fd } = await this.openTemp(0o444);
    try {
      const { sha256, size } = await writeBodyToFile(fd, body, opts.maxBytes);
      if (opts.expectedSha256 !== undefined && opts.expectedSha256.toLowerCase() !== sha256) {
        throw new WormIntegrityError(
          `WORM object ${key}: body hashes to ${sha256}, expected ${opts.expectedSha256.toLowerCase()}`,
        );
      }
      const sidecar: Sidecar = {
        sha256,
        size,
        contentType: opts.contentType,
        retainUntil: opts.retainUntil.toISOString(),
        legalHold: false,
      };
      await ensureDir(dirname(path), key);
      if (await linkNoOverwrite(tmp, path)) {
        // No directory fsync between the two links: every way through writeSidecarAsCreator ends
        // with one, before we answer. A crash before it leaves data without sidecar (unsealed,
        // reads as absent; a retry seals it) or a sidecar without data (a retry links the data).
        await this.writeSidecarAsCreator(path, sidecar);
        return { key, sha256, size, created: true };
      }
      return await this.resolveExisting(key, path, sidecar);
    } finally {
      await removeTemp(tmp);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathFor(key);
    const fh = await openExistingFile(path);
    if (!fh) throw new WormNotFoundError(`WORM object ${key} not found`);
    return fh.createReadStream();
  }

  /** An object without a sidecar is not sealed yet (put in flight or crashed); it reads as absent. */
  async head(key: string): Promise<WormObjectInfo | null> {
    const path = this.pathFor(key);
    if (!(await isFile(path))) return null;
    const meta = await readSidecar(sidecarPath(path));
    return meta ? toInfo(key, meta) : null;
  }

  async delete(key: string): Promise<void> {
    const path = this.pathFor(key);
    const meta = await readSidecar(sidecarPath(path));
    if (!(await isFile(path))) {
      // A sidecar without data is an interrupted delete: finish it.
      if (meta) return await this.removeFile(sidecarPath(path));
      throw new WormNotFoundError(`WORM object ${key} not found`);
    }
    if (!meta) throw new WormRetentionError(`WORM object ${key} has no retention metadata; refusing delete`);
    if (meta.legalHold) throw new WormRetentionError(`WORM object ${key} is under legal hold`);
    if (this.now().getTime() < Date.parse(meta.retainUntil)) {
      throw new WormRetentionError(`WORM object ${key} is retained until ${meta.retainUntil}`);
    }
    // Data first: a crash in between leaves only a harmless sidecar, which a retried delete removes.
    await this.removeFile(path);
    await this.removeFile(sidecarPath(path));
  }

  /** Last writer wins between concurrent hold changes; the data file is never touched. */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    const path = this.pathFor(key);
    if (!(await isFile(path))) throw new WormNotFoundError(`WORM object ${key} not found`);
    await withSidecarLock(path, async () => {
      const meta = await readSidecar(sidecarPath(path));
      if (!meta) throw new WormNotFoundError(`WORM object ${key} not found`);
      await this.replaceSidecar(path, { ...meta, legalHold: on });
    });
  }

  /** Sealed objects only: a data file without its sidecar is a put in flight (as in head()). */
  async *list(prefix: string): AsyncIterable<WormListEntry> {
    validatePrefix(prefix);
    const dir = join(this.root, ...prefix.split('/').filter(Boolean));
    let names: string[];
    try {
      names = await readdir(dir, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (name.endsWith(SIDECAR_SUFFIX)) continue;
      const path = join(dir, name);
      const s = await stat(path).catch(() => null);
      if (!s?.isFile() || !(await isFile(sidecarPath(path)))) continue;
      yield { key: prefix + name.split(sep).join('/'), size: s.size, lastModified: s.mtime };
    }
  }

  private pathFor(key: string): string {
    validateKey(key);
    const path = join(this.root, ...key.split('/'));
    // Defence in depth: validateKey already makes escaping the root impossible.
    const rel = relative(this.root, path);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new WormError(`WORM key ${key} escapes the root`);
    }
    return path;
  }

  /** A new file in the temp directory, created once (again if it has been removed since). */
  private async openTemp(mode: number): Promise<{ tmp: string; fd: number }> {
    const tmp = join(this.tmpDir, `${randomUUID()}.tmp`);
    try {
      return { tmp, fd: await fsCall.open(tmp, 'wx', mode) };
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
      await mkdir(this.tmpDir, { recursive: true });
      return { tmp, fd: await fsCall.open(tmp, 'wx', mode) };
    }
  }

  /** The key is already taken: identical bytes are an idempotent retry, anything else a conflict. */
  private async resolveExisting(key: string, path: string, ours: Sidecar): Promise<WormPutResult> {
    if (!(await isFile(path))) throw new WormError(`WORM key ${key} collides with a directory`);
    const existing = await readSidecar(sidecarPath(path));
    const sha256 = existing?.sha256 ?? (await hashFile(path));
    if (sha256 !== ours.sha256) throw new WormConflictError(key, sha256, ours.sha256);
    // Data without sidecar: an earlier put crashed between the two links (or is still running).
    // The bytes are ours, so our metadata describes them; if the other put wins the race, fine.
    if (!existing) await this.writeSidecarNoOverwrite(path, ours);
    else if (Date.parse(existing.retainUntil) < Date.parse(ours.retainUntil)) {
      await this.extendSidecar(path, ours.retainUntil);
    }
    return { key, sha256, size: existing?.size ?? ours.size, created: false };
  }

  async extendRetention(key: string, retainUntil: Date): Promise<void> {
    const path = this.pathFor(key);
    if (!(await isFile(path)) || !(await this.extendSidecar(path, retainUntil.toISOString()))) {
      throw new WormNotFoundError(`WORM object ${key} not found`);
    }
  }

  /** Later only, the hold and the rest as they are; false when there is no sidecar (not sealed). */
  private extendSidecar(path: string, retainUntil: string): Promise<boolean> {
    return withSidecarLock(path, async () => {
      const meta = await readSidecar(sidecarPath(path));
      if (!meta) return false;
      if (Date.parse(meta.retainUntil) < Date.parse(retainUntil)) {
        await this.replaceSidecar(path, { ...meta, retainUntil });
      }
      return true;
    });
  }

  /**
   * We created the data file, so our metadata is authoritative. A sidecar already there is either
   * a concurrent same-bytes put's recovery or left over from an interrupted delete; merge it in the
   * strict direction only (never shorten retention, never drop a hold).
   */
  private async writeSidecarAsCreator(path: string, ours: Sidecar): Promise<void> {
    if (await this.writeSidecarNoOverwrite(path, ours)) return;
    await withSidecarLock(path, async () => {
      const existing = await readSidecar(sidecarPath(path));
      if (existing?.sha256 !== ours.sha256) return await this.replaceSidecar(path, ours);
      const retainUntil =
        Date.parse(existing.retainUntil) > Date.parse(ours.retainUntil)
          ? existing.retainUntil
          : ours.retainUntil;
      await this.replaceSidecar(path, { ...ours, retainUntil, legalHold: existing.legalHold });
    });
  }

  /** Returns false if a sidecar already exists. */
  private async writeSidecarNoOverwrite(path: string, meta: Sidecar): Promise<boolean> {
    const tmp = await this.writeTempSidecar(meta);
    try {
      const created = await linkNoOverwrite(tmp, sidecarPath(path));
      if (created) await fsyncDir(dirname(path));
      return created;
    } finally {
      await removeTemp(tmp);
    }
  }

  private async replaceSidecar(path: string, meta: Sidecar): Promise<void> {
    const tmp = await this.writeTempSidecar(meta);
    try {
      await rename(tmp, sidecarPath(path));
      await fsyncDir(dirname(path));
    } finally {
      await removeTemp(tmp);
    }
  }

  private async writeTempSidecar(meta: Sidecar): Promise<string> {
    const { tmp, fd } = await this.openTemp(0o444);
    // Written as any body is (write, fsync, close); its hash is not needed.
    await writeBodyToFile(fd, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`), undefined);
    return tmp;
  }

  private async removeFile(path: string): Promise<void> {
    await unlink(path);
    await fsyncDir(dirname(path));
  }
}

/** Streams `body` into a new file, hashing and counting as it goes; fsyncs; read-only; closes it. */
async function writeBodyToFile(
  fd: number,
  body: Uint8Array | Readable,
  maxBytes: number | undefined,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of chunksOf(body)) {
      size += chunk.byteLength;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new WormTooLargeError(`WORM body exceeds ${maxBytes} bytes`);
      }
      hash.update(chunk);
      await writeAll(fd, chunk);
    }
    await fsCall.fsync(fd);
  } finally {
    await fsCall.close(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

async function* chunksOf(body: Uint8Array | Readable): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body) {
    if (typeof chunk === 'string') yield Buffer.from(chunk);
    else if (chunk instanceof Uint8Array) yield chunk;
    else throw new WormError('WORM body stream must yield bytes');
  }
}

async function writeAll(fd: number, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fsCall.write(fd, chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Hard-links `from` to `to`; false if `to` already exists. Never replaces anything. */
async function linkNoOverwrite(from: string, to: string): Promise<boolean> {
  try {
    await fsCall.link(from, to);
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
}

/** mkdir -p, fsyncing every parent whose entries changed so the new directories survive a crash. */
async function ensureDir(dir: string, key: string): Promise<void> {
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw new WormError(`WORM key ${key} collides with an object`);
    }
    throw err;
  }
  if (firstCreated === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === firstCreated) break;
  }
}

/** A temp file is gone either way (unlink, not rm: no lstat first). */
async function removeTemp(tmp: string): Promise<void> {
  await fsCall.unlink(tmp).catch((err: unknown) => {
    if (errCode(err) !== 'ENOENT') throw err;
  });
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await fsCall.open(dir, 'r');
  try {
    await fsCall.fsync(fd);
  } finally {
    await fsCall.close(fd);
  }
}

async function openExistingFile(path: string): Promise<FileHandle | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null;
    throw err;
  }
  if ((await fh.stat()).isFile()) return fh;
  await fh.close();
  return null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A lock left by a killed process is broken once it is this old (a sidecar change takes ms). */
const SIDECAR_LOCK_STALE_MS = 30_000;

/**
 * Sidecar changes (hold toggles, retention extensions) read, modify and replace the file: one at
 * a time per object, across processes, or one could undo the other (a hold dropped, retention
 * shortened). The lock is a file created exclusively beside the sidecar. (Two waiters breaking
 * the same stale lock at once could both enter: that needs a killed holder and a race together.)
 */
async function withSidecarLock<T>(objectPath: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${sidecarPath(objectPath)}.lock`;
  for (;;) {
    try {
      await fsCall.close(await fsCall.open(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > SIDECAR_LOCK_STALE_MS) await fsCall.unlink(lock).catch(() => {});
      else await new Promise((r) => setTimeout(r, 2));
    }
  }
  try {
    return await fn();
  } finally {
    await fsCall.unlink(lock).catch(() => {});
  }
}

function sidecarPath(objectPath: string): string {
  return `${objectPath}${SIDECAR_SUFFIX}`;
}

/** null if absent; a corrupt sidecar is an integrity failure, never silently "no retention". */
async function readSidecar(path: string): Promise<Sidecar | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null;
    throw err;
  }
  try {
    return sidecarSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new WormIntegrityError(`corrupt WORM sidecar ${path}: ${(err as Error).message}`);
  }
}

function toInfo(key: string, meta: Sidecar): WormObjectInfo {
  return {
    key,
    sha256: meta.sha256,
    size: meta.size,
    contentType: meta.contentType,
    retainUntil: new Date(meta.retainUntil),
    legalHold: meta.legalHold,
  };
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
