// The WORM store: one interface, two implementations (local directory here; S3 Object Lock
// in the attachments/S3 issue). Objects are immutable once written; a retried write of the
// same bytes is success, a write of different bytes to a sealed key is a conflict.
import type { Readable } from 'node:stream';

export interface WormPutOptions {
  contentType: string;
  retainUntil: Date;
  /** If given, the written bytes must hash to this (hex SHA-256), or the put fails. */
  expectedSha256?: string;
  /** Refuse bodies larger than this many bytes (streams are counted as they arrive). */
  maxBytes?: number;
}

export interface WormPutResult {
  key: string;
  sha256: string;
  size: number;
  /** false when an identical object was already sealed under this key (an idempotent retry). */
  created: boolean;
}

export interface WormObjectInfo {
  key: string;
  sha256: string;
  size: number;
  contentType: string;
  retainUntil: Date;
  legalHold: boolean;
}

export interface WormStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: Uint8Array | Readable, opts: WormPutOptions): Promise<WormPutResult>;
  /** Streams the object's bytes; throws WormNotFoundError. */
  get(key: string): Promise<Readable>;
  head(key: string): Promise<WormObjectInfo | null>;
  /**
   * Retention never shortens: moves a sealed object's retain-until to `retainUntil` if that is
   * later, else changes nothing. For an object sealed earlier that now belongs to a message
   * received later (a failed message sent again). Throws WormNotFoundError if nothing is sealed.
   * A put that finds identical bytes already sealed extends the same way.
   */
  extendRetention(key: string, retainUntil: Date): Promise<void>;
  /** Refused (WormRetentionError) while retention runs or a legal hold is on. */
  delete(key: string): Promise<void>;
  setLegalHold(key: string, on: boolean): Promise<void>;
  /**
   * The objects under `prefix` (a key prefix ending in '/'), in no particular order: what the
   * store holds whatever any index says (the ledger audit finds checkpoint rows deleted this way).
   */
  list(prefix: string): AsyncIterable<WormListEntry>;
}

export interface WormListEntry {
  key: string;
  size: number;
  lastModified: Date;
}

export class WormError extends Error {
  override name = 'WormError';
}
/** Different bytes for an already-sealed key: never overwrite, always alert. */
export class WormConflictError extends WormError {
  override name = 'WormConflictError';
  constructor(
    readonly key: string,
    readonly existingSha256: string,
    readonly newSha256: string,
  ) {
    super(
      `WORM object ${key} is sealed with sha256 ${existingSha256}; refusing different bytes (${newSha256})`,
    );
  }
}
export class WormRetentionError extends WormError {
  override name = 'WormRetentionError';
}
export class WormNotFoundError extends WormError {
  override name = 'WormNotFoundError';
}
export class WormIntegrityError extends WormError {
  override name = 'WormIntegrityError';
}
export class WormTooLargeError extends WormError {
  override name = 'WormTooLargeError';
}

/** Runs a put; on any failure (a bad key, maxBytes, I/O) releases the caller's stream: its file descriptor or socket. */
export async function releasingBodyOnFailure<T>(
  body: Uint8Array | Readable,
  put: () => Promise<T>,
): Promise<T> {
  try {
    return await put();
  } catch (err) {
    if (!(body instanceof Uint8Array)) body.destroy();
    throw err;
  }
}
