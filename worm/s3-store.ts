// WORM store on S3 with Object Lock. Immutability comes from the server, not from us: every
// object is written with `If-None-Match: *` (never replaces the current version), in COMPLIANCE
// mode with a RetainUntilDate (no one, root included, can delete that version or shorten its
// retention before the date), and with a SHA-256 checksum the server verifies before storing.
// The bucket must have Object Lock enabled (which implies versioning); `open` refuses otherwise.
//
// Metadata kept with each object (user metadata, so it survives servers that drop checksums or
// rewrite headers: SeaweedFS resets Content-Type when a legal hold is set):
//   x-amz-meta-sha256        hex SHA-256 of the bytes
//   x-amz-meta-content-type  the caller's content type
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SHA256_RE, validateKey, validatePrefix, validatePutOptions } from './keys';
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

const META_SHA256 = 'sha256';
const META_CONTENT_TYPE = 'content-type';
const SPOOL_SUFFIX = '.spool';
/** Spool files this old are left over from a crashed process (a put never takes this long). */
const STALE_SPOOL_MS = 24 * 3600_000;
const PUT_ATTEMPTS = 4;

export interface S3WormStoreOptions {
  client: S3Client;
  bucket: string;
  /** Where stream bodies are spooled (hashed and counted) before upload. Use a disk, not tmpfs. */
  tmpDir: string;
  /** Clock for the client-side retention check in delete (tests); the server checks too. */
  now?: () => Date;
}

/** The bytes of one put, re-readable for retries: a buffer, or a spooled temp file. */
interface PutSource {
  sha256: string;
  size: number;
  open(): Uint8Array | Readable;
}

export class S3WormStore implements WormStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly tmpDir: string;
  private readonly now: () => Date;

  constructor(opts: S3WormStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.tmpDir = opts.tmpDir;
    this.now = opts.now ?? (() => new Date());
  }

  /** Checks that the bucket exists and has Object Lock enabled; refuses to start otherwise. */
  static async open(opts: S3WormStoreOptions): Promise<S3WormStore> {
    const { client, bucket } = opts;
    let enabled: string | undefined;
    try {
      const res = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      enabled = res.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (err) {
      const name = errName(err);
      if (name === 'NoSuchBucket') {
        throw new WormError(`bucket ${bucket} does not exist; WORM storage refuses to start`);
      }
      if (name !== 'ObjectLockConfigurationNotFoundError') {
        throw new WormError(
          `cannot read the Object Lock configuration of bucket ${bucket} (${describe(err)}); WORM storage refuses to start`,
          { cause: err },
        );
      }
    }
    if (enabled !== 'Enabled') {
      throw new WormError(
        `bucket ${bucket} does not have Object Lock enabled; WORM storage refuses to start`,
      );
    }
    await mkdir(opts.tmpDir, { recursive: true });
    await removeStaleSpools(opts.tmpDir);
    return new S3WormStore(opts);
  }

  put(key: string, body: Uint8Array | Readable, opts: WormPutOptions): Promise<WormPutResult> {
    return releasingBodyOnFailure(body, () => this.putChecked(key, body, opts));
  }

  private async putChecked(
    key: string,
    body: Uint8Array | Readable,
    opts: WormPutOptions,
  ): Promise<WormPutResult> {
    validateKey(key);
    validatePutOptions(opts);
    if (body instanceof Uint8Array) {
      if (opts.maxBytes !== undefined && body.byteLength > opts.maxBytes) {
        throw new WormTooLargeError(`WORM body exceeds ${opts.maxBytes} bytes`);
      }
      const sha256 = createHash('sha256').update(body).digest('hex');
      checkExpected(key, sha256, opts);
      return await this.putSource(key, { sha256, size: body.byteLength, open: () => body }, opts);
    }
    // Bounded memory for any size: hash and count into a temp file, then upload from it with a
    // known length and checksum (S3 needs both up front for a single PutObject).
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `${randomUUID()}${SPOOL_SUFFIX}`);
    try {
      const { sha256, size } = await spool(tmp, body, opts.maxBytes);
      checkExpected(key, sha256, opts);
      const src: PutSource = { sha256, size, open: () => createReadStream(tmp) };
      // Look first: S3 answers If-None-Match only after receiving the whole body, so a retried
      // large put would re-upload every byte just to be refused. If-None-Match stays the guarantee.
      const existing = await this.resolveExisting(key, src, ceilToSecond(opts.retainUntil));
      if (existing) return existing;
      return await this.putSource(key, src, opts);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async putSource(key: string, src: PutSource, opts: WormPutOptions): Promise<WormPutResult> {
    const checksum = Buffer.from(src.sha256, 'hex').toString('base64');
    const retainUntil = ceilToSecond(opts.retainUntil);
    for (let attempt = 1; ; attempt++) {
      const payload = src.open();
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: payload,
            ContentLength: src.size,
            ContentType: opts.contentType,
            ChecksumSHA256: checksum,
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: retainUntil,
            // Refused with 412 when the key has a current version: never a second version.
            IfNoneMatch: '*',
            Metadata: { [META_SHA256]: src.sha256, [META_CONTENT_TYPE]: opts.contentType },
          }),
        );
        return { key, sha256: src.sha256, size: src.size, created: true };
      } catch (err) {
        if (isPreconditionFailed(err)) {
          const existing = await this.resolveExisting(key, src, retainUntil);
          // null: the object went away in between (deleted after its retention); write again.
          if (existing) return existing;
        } else if (!isTransient(err) && errName(err) !== 'BadDigest') {
          throw new WormError(`WORM put of ${key} failed: ${describe(err)}`, { cause: err });
        }
        // BadDigest: the server got bytes that do not hash to ours (we hashed them ourselves), so
        // they were damaged on the way: send again. The SDK does not retry a streamed body (it
        // cannot rewind it); we can, from the spool. Not an integrity error: nothing is wrong
        // with the caller's bytes, and a later retry may well succeed.
        if (attempt >= PUT_ATTEMPTS) {
          throw new WormError(`WORM put of ${key} failed after ${attempt} attempts: ${describe(err)}`, {
            cause: err,
          });
        }
      } finally {
        if (payload instanceof Readable) payload.destroy();
      }
      await sleep(100 * 2 ** attempt);
    }
  }

  /** The key is already taken: identical bytes are an idempotent retry, anything else a conflict. */
  private async resolveExisting(
    key: string,
    ours: PutSource,
    retainUntil: Date,
  ): Promise<WormPutResult | null> {
    const head = await this.headRaw(key);
    if (!head) return null;
    const sha256 = await this.sha256Of(key, head);
    if (sha256 !== ours.sha256) throw new WormConflictError(key, sha256, ours.sha256);
    // Same bytes: sealed by an earlier put (its retention extended if ours runs longer), or not
    // (fully) sealed, written by something other than this store: seal it now. Never shortening
    // a retention that is already there (COMPLIANCE forbids that anyway).
    await this.sealAtLeastUntil(key, head, await this.retentionOf(key, head), retainUntil);
    return { key, sha256, size: head.ContentLength ?? ours.size, created: false };
  }

  async extendRetention(key: string, retainUntil: Date): Promise<void> {
    validateKey(key);
    const head = await this.headRaw(key);
    const theirs = head ? await this.retentionOf(key, head) : null;
    if (!head || !theirs) throw new WormNotFoundError(`WORM object ${key} not found`);
    await this.sealAtLeastUntil(key, head, theirs, ceilToSecond(retainUntil));
  }

  /** COMPLIANCE retention until the later of the object's and `retainUntil`; nothing if already so. */
  private async sealAtLeastUntil(
    key: string,
    head: HeadObjectCommandOutput,
    theirs: { mode: string; until: Date } | null,
    retainUntil: Date,
  ): Promise<void> {
    if (theirs?.mode === 'COMPLIANCE' && theirs.until >= retainUntil) return;
    const until = theirs && theirs.until > retainUntil ? theirs.until : retainUntil;
    await this.client.send(
      new PutObjectRetentionCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: head.VersionId,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until },
      }),
    );
  }

  async get(key: string): Promise<Readable> {
    validateKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(res.Body instanceof Readable)) throw new WormError(`WORM object ${key}: no readable body`);
      return res.Body;
    } catch (err) {
      if (isNotFound(err)) throw new WormNotFoundError(`WORM object ${key} not found`);
      throw err;
    }
  }

  /** An object without retention is not sealed (not written by this store); it reads as absent. */
  async head(key: string): Promise<WormObjectInfo | null> {
    validateKey(key);
    const head = await this.headRaw(key);
    if (!head) return null;
    const retention = await this.retentionOf(key, head);
    if (!retention) return null;
    return {
      key,
      sha256: await this.sha256Of(key, head),
      size: head.ContentLength ?? 0,
      contentType: head.Metadata?.[META_CONTENT_TYPE] ?? head.ContentType ?? 'application/octet-stream',
      retainUntil: retention.until,
      legalHold: head.ObjectLockLegalHoldStatus === 'ON',
    };
  }

  /**
   * Deletes the current version by its version id: a DELETE without one would only add a delete
   * marker and keep the bytes. The server refuses while retention runs or a legal hold is on; we
   * check first as well, for a clear error (and in case the server were misconfigured).
   */
  async delete(key: string): Promise<void> {
    validateKey(key);
    const head = await this.headRaw(key);
    if (!head) throw new WormNotFoundError(`WORM object ${key} not found`);
    if (!head.VersionId)
      throw new WormError(`WORM object ${key} has no version id; is the bucket versioned?`);
    const retention = await this.retentionOf(key, head);
    if (!retention) throw new WormRetentionError(`WORM object ${key} has no retention; refusing delete`);
    if (head.ObjectLockLegalHoldStatus === 'ON') {
      throw new WormRetentionError(`WORM object ${key} is under legal hold`);
    }
    if (this.now().getTime() < retention.until.getTime()) {
      throw new WormRetentionError(`WORM object ${key} is retained until ${retention.until.toISOString()}`);
    }
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: head.VersionId }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new WormNotFoundError(`WORM object ${key} not found`);
      if (isRefusal(err)) {
        throw new WormRetentionError(
          `WORM object ${key} (version ${head.VersionId}, retained until ${retention.until.toISOString()}): ` +
            `delete refused by the server (${describe(err)})`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    validateKey(key);
    const head = await this.headRaw(key);
    if (!head) throw new WormNotFoundError(`WORM object ${key} not found`);
    try {
      await this.client.send(
        new PutObjectLegalHoldCommand({
          Bucket: this.bucket,
          Key: key,
          VersionId: head.VersionId,
          LegalHold: { Status: on ? 'ON' : 'OFF' },
        }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new WormNotFoundError(`WORM object ${key} not found`);
      throw err;
    }
  }

  /** HeadObject of the current version; null when there is none (or it is a delete marker). */
  /** The current versions under the prefix (a deleted version is gone from this list). */
  async *list(prefix: string): AsyncIterable<WormListEntry> {
    validatePrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async headRaw(key: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * Retention of the version `head` describes. HeadObject carries it when the caller may read it;
   * if it is absent we ask explicitly, so a missing permission fails loudly instead of reading as
   * "not sealed".
   */
  private async retentionOf(
    key: string,
    head: HeadObjectCommandOutput,
  ): Promise<{ mode: string; until: Date } | null> {
    if (head.ObjectLockRetainUntilDate && head.ObjectLockMode) {
      return { mode: head.ObjectLockMode, until: head.ObjectLockRetainUntilDate };
    }
    try {
      const res = await this.client.send(
        new GetObjectRetentionCommand({ Bucket: this.bucket, Key: key, VersionId: head.VersionId }),
      );
      const r = res.Retention;
      return r?.Mode && r.RetainUntilDate ? { mode: r.Mode, until: r.RetainUntilDate } : null;
    } catch (err) {
      if (errName(err) === 'NoSuchObjectLockConfiguration' || isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * The object's SHA-256 (hex): the server-verified checksum when it is a whole-object one, else
   * our metadata, else (an object written by someone else) by reading the bytes. Checksum and
   * metadata that disagree are an integrity failure, never silently one or the other.
   */
  private async sha256Of(key: string, head: HeadObjectCommandOutput): Promise<string> {
    const meta = head.Metadata?.[META_SHA256]?.toLowerCase();
    const fromMeta = meta && SHA256_RE.test(meta) ? meta : undefined;
    const checksum = head.ChecksumSHA256;
    const fromChecksum =
      checksum && !checksum.includes('-') && head.ChecksumType !== 'COMPOSITE'
        ? Buffer.from(checksum, 'base64').toString('hex')
        : undefined;
    if (fromMeta && fromChecksum && fromMeta !== fromChecksum) {
      throw new WormIntegrityError(
        `WORM object ${key}: stored checksum ${fromChecksum} disagrees with its metadata ${fromMeta}`,
      );
    }
    const known = fromChecksum ?? fromMeta;
    if (known && known.length === 64) return known;
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: head.VersionId }),
    );
    if (!(res.Body instanceof Readable)) throw new WormError(`WORM object ${key}: no readable body`);
    const hash = createHash('sha256');
    for await (const chunk of res.Body) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}

/** S3 keeps retention dates to the second (SeaweedFS truncates): round up, never down. */
function ceilToSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

function checkExpected(key: string, sha256: string, opts: WormPutOptions): void {
  if (opts.expectedSha256 !== undefined && opts.expectedSha256.toLowerCase() !== sha256) {
    throw new WormIntegrityError(
      `WORM object ${key}: body hashes to ${sha256}, expected ${opts.expectedSha256.toLowerCase()}`,
    );
  }
}

/** Streams `body` into a new file, hashing and counting as it goes; stops at `maxBytes`. */
async function spool(
  path: string,
  body: Readable,
  maxBytes: number | undefined,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const fh = await open(path, 'wx', 0o600);
  try {
    for await (const chunk of body) {
      let bytes: Uint8Array;
      if (typeof chunk === 'string') bytes = Buffer.from(chunk);
      else if (chunk instanceof Uint8Array) bytes = chunk;
      else throw new WormError('WORM body stream must yield bytes');
      size += bytes.byteLength;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new WormTooLargeError(`WORM body exceeds ${maxBytes} bytes`);
      }
      hash.update(bytes);
      let offset = 0;
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset);
        offset += bytesWritten;
      }
    }
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest('hex'), size };
}

async function removeStaleSpools(dir: string): Promise<void> {
  const cutoff = Date.now() - STALE_SPOOL_MS;
  for (const name of await readdir(dir)) {
    if (!name.endsWith(SPOOL_SUFFIX)) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (st && st.mtimeMs < cutoff) await rm(path, { force: true });
  }
}

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function errName(err: unknown): string | undefined {
  const e = err as SdkError | null;
  return e?.Code ?? e?.name;
}

function httpStatus(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

function describe(err: unknown): string {
  const status = httpStatus(err);
  const name = errName(err) ?? 'Error';
  const message = (err as SdkError | null)?.message ?? String(err);
  return `${status ?? 'no response'} ${name}: ${message}`;
}

/** A missing key (or version). NoSuchBucket is not "not found": it is a broken deployment. */
function isNotFound(err: unknown): boolean {
  const name = errName(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion' || httpStatus(err) === 404;
}

function isPreconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412 || errName(err) === 'PreconditionFailed';
}

/** How S3 and compatible servers refuse to remove a locked version. */
function isRefusal(err: unknown): boolean {
  const name = errName(err);
  return (
    httpStatus(err) === 403 ||
    name === 'AccessDenied' ||
    name === 'InvalidRequest' ||
    name === 'ObjectLocked' ||
    name === 'MethodNotAllowed'
  );
}

/** Worth another attempt: a conditional-write race (409), throttling, 5xx, or no response at all. */
function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status === undefined) return true;
  return status === 409 || status === 429 || status >= 500 || Boolean((err as SdkError).$retryable);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
