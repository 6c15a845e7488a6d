// Where things live in the WORM store, and what a key and a put may be. One prefix per tenant, so
// retention and audits can be scoped to a tenant. Both stores validate with these rules.
import { WormError, type WormPutOptions } from './store';

const MAX_KEY_LENGTH = 512;
const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;
/** The local store's staging directory, reserved in every store so keys mean the same everywhere. */
export const TMP_DIR = '.tmp';
/** The local store's metadata files sit beside each object under this suffix. */
export const SIDECAR_SUFFIX = '.meta.json';

export const rawBodyKey = (tenantId: string, sha256: string) => `tenants/${tenantId}/raw/${sha256}`;
export const messagePrefix = (tenantId: string, messageId: string) =>
  `tenants/${tenantId}/messages/${messageId}`;
export const messageRecordKey = (tenantId: string, messageId: string) =>
  `${messagePrefix(tenantId, messageId)}/message.json`;
export const manifestKey = (tenantId: string, messageId: string) =>
  `${messagePrefix(tenantId, messageId)}/manifest.json`;
/**
 * A message's attachments live under the hash of the exact bytes that declared them: a failed
 * message sent again with other attachments seals them beside the failed run's objects, never
 * onto them (a key is written once; the same key with other bytes is a conflict).
 */
export const attachmentsPrefix = (tenantId: string, messageId: string, rawSha256: string) =>
  `${messagePrefix(tenantId, messageId)}/attachments/${rawSha256}/`;
export const attachmentKey = (tenantId: string, messageId: string, rawSha256: string, ordinal: number) =>
  `${attachmentsPrefix(tenantId, messageId, rawSha256)}${ordinal}`;

export function retainUntil(receivedAt: Date | string, retentionDays: number): Date {
  return new Date(new Date(receivedAt).getTime() + retentionDays * 86_400_000);
}

/** Throws WormError unless `key` is a safe relative path that cannot leave the root. */
export function validateKey(key: string): void {
  const bad = (why: string) => new WormError(`invalid WORM key ${JSON.stringify(key)}: ${why}`);
  if (typeof key !== 'string' || key.length === 0) throw bad('empty');
  if (key.length > MAX_KEY_LENGTH) throw bad(`longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith('/')) throw bad('absolute path');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') throw bad('empty path segment');
    if (segment === '.' || segment === '..') throw bad('relative path segment');
    if (!SEGMENT_RE.test(segment)) throw bad('segments may only contain [A-Za-z0-9._-]');
    // A segment named like a sidecar would collide with another key's metadata file.
    if (segment.endsWith(SIDECAR_SUFFIX)) throw bad(`segments may not end in ${SIDECAR_SUFFIX}`);
  }
  if (segments[0] === TMP_DIR) throw bad(`${TMP_DIR}/ is reserved`);
}

/** A listing prefix: a valid key followed by '/'. */
export function validatePrefix(prefix: string): void {
  if (!prefix.endsWith('/'))
    throw new WormError(`invalid WORM prefix ${JSON.stringify(prefix)}: must end in /`);
  validateKey(prefix.slice(0, -1));
}

export function validatePutOptions(opts: WormPutOptions): void {
  if (!(opts.retainUntil instanceof Date) || Number.isNaN(opts.retainUntil.getTime())) {
    throw new WormError('retainUntil must be a valid Date');
  }
  if (opts.expectedSha256 !== undefined && !SHA256_RE.test(opts.expectedSha256.toLowerCase())) {
    throw new WormError('expectedSha256 must be 64 hex characters');
  }
  if (opts.maxBytes !== undefined && !(Number.isSafeInteger(opts.maxBytes) && opts.maxBytes >= 0)) {
    throw new WormError('maxBytes must be a non-negative integer');
  }
}
export const ledgerCheckpointPrefix = (tenantId: string) => `tenants/${tenantId}/ledger/checkpoints/`;
export const ledgerCheckpointKey = (tenantId: string, treeSize: number) =>
  `${ledgerCheckpointPrefix(tenantId)}${treeSize}`;
