// Re-reads every sealed WORM object of a message and checks it against what was sealed: the
// manifest against the SHA-256 the store recorded when it was written, and the raw body, the
// record and every attachment against the manifest. Every verification is audited.
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { audit } from '../../../../../db/audit';
import { type Manifest, parseManifest } from '../../../../../worm/manifest';
import { WormError, WormIntegrityError, WormNotFoundError, type WormStore } from '../../../../../worm/store';
import type { TenantContext } from '../../trpc';
import { findOwnedMessage } from './owned-message';
import type { VerifyMessageInput } from './verify.schema';

export type VerifiedKind = 'raw' | 'record' | 'attachment' | 'manifest';

export interface VerifiedObject {
  key: string;
  kind: VerifiedKind;
  /** The attachment's position in the payload (attachments only). */
  ordinal?: number;
  expectedSha256: string | null;
  actualSha256: string | null;
  expectedSize: number | null;
  /** Bytes actually read; null if the object could not be read. */
  size: number | null;
  ok: boolean;
  error?: string;
}

export interface VerifyResult {
  messageId: string;
  ok: boolean;
  reason?: 'not_archived' | 'manifest_invalid';
  objects: VerifiedObject[];
}

export async function verifyMessageHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: VerifyMessageInput;
}): Promise<VerifyResult> {
  const tenantId = ctx.principal.tenantId;
  const m = await findOwnedMessage(ctx.db, tenantId, input.id);
  if (!m.manifestKey) return { messageId: m.id, ok: false, reason: 'not_archived', objects: [] };

  const result = await verifyObjects(ctx.worm, m.manifestKey, { ...m, tenantId });
  const failed = result.objects.filter((o) => !o.ok).map((o) => o.key);
  await audit(ctx.db, {
    tenantId,
    actor: ctx.principal.actor,
    sourceIp: ctx.principal.sourceIp,
    action: 'message.verified',
    targetType: 'message',
    targetId: m.id,
    details: { ok: result.ok, objects: result.objects.length, failed, reason: result.reason ?? null },
  });
  return result;
}

async function verifyObjects(
  worm: WormStore,
  manifestKey: string,
  m: { id: string; tenantId: string; rawSha256: string },
): Promise<VerifyResult> {
  const objects: VerifiedObject[] = [];
  const done = (reason?: VerifyResult['reason']): VerifyResult => ({
    messageId: m.id,
    ok: reason === undefined && objects.every((o) => o.ok),
    ...(reason ? { reason } : {}),
    objects,
  });

  // The manifest: its bytes against the checksum the store sealed with it.
  let sealed: { sha256: string; size: number } | null = null;
  let sealError: string | undefined;
  try {
    sealed = await worm.head(manifestKey);
    if (!sealed) sealError = 'no sealed metadata';
  } catch (err) {
    if (!(err instanceof WormIntegrityError)) throw unavailable(err);
    sealError = err.message;
  }
  const read = await readObject(worm, manifestKey, true);
  const manifestObj = check(manifestKey, 'manifest', sealed, read);
  if (sealError) {
    manifestObj.ok = false;
    manifestObj.error = sealError;
  }
  objects.push(manifestObj);
  if (!read.bytes) return done('manifest_invalid');

  let manifest: Manifest;
  try {
    manifest = parseManifest(read.bytes);
  } catch {
    manifestObj.ok = false;
    manifestObj.error ??= 'manifest is not valid JSON of the expected shape';
    return done('manifest_invalid');
  }
  // The manifest must describe this message, and the raw bytes the database says were received.
  const mismatch =
    manifest.message_id !== m.id
      ? 'manifest names another message'
      : manifest.tenant_id !== m.tenantId
        ? 'manifest names another tenant'
        : manifest.raw_body.sha256 !== m.rawSha256
          ? 'manifest raw_body.sha256 differs from the message row'
          : undefined;
  if (mismatch) {
    manifestObj.ok = false;
    manifestObj.error ??= mismatch;
  }

  // Keys come from the manifest; only this tenant's part of the store is ever read.
  const prefix = `tenants/${m.tenantId}/`;
  const readOwn = (key: string): Promise<ReadResult> =>
    key.startsWith(prefix)
      ? readObject(worm, key)
      : Promise.resolve({ sha256: null, size: null, error: "key outside the tenant's prefix" });
  objects.push(check(manifest.raw_body.key, 'raw', manifest.raw_body, await readOwn(manifest.raw_body.key)));
  objects.push(check(manifest.record.key, 'record', manifest.record, await readOwn(manifest.record.key)));
  for (const a of manifest.attachments) {
    if (a.key === null) continue; // never stored (e.g. fetch failed): nothing was sealed
    const expected = a.sha256 !== null && a.size !== null ? { sha256: a.sha256, size: a.size } : null;
    objects.push({ ...check(a.key, 'attachment', expected, await readOwn(a.key)), ordinal: a.ordinal });
  }
  return done();
}

interface ReadResult {
  bytes?: Buffer;
  sha256: string | null;
  size: number | null;
  error?: string;
}

/** Reads (and hashes) an object; missing or invalid keys are findings, an unreachable store is not. */
async function readObject(worm: WormStore, key: string, keepBytes = false): Promise<ReadResult> {
  try {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of await worm.get(key)) {
      const b = chunk as Buffer;
      hash.update(b);
      size += b.byteLength;
      if (keepBytes) chunks.push(b);
    }
    return { ...(keepBytes ? { bytes: Buffer.concat(chunks) } : {}), sha256: hash.digest('hex'), size };
  } catch (err) {
    if (err instanceof WormNotFoundError) return { sha256: null, size: null, error: 'object not found' };
    if (err instanceof WormError) return { sha256: null, size: null, error: err.message };
    throw unavailable(err);
  }
}

function check(
  key: string,
  kind: VerifiedKind,
  expected: { sha256: string; size: number } | null,
  read: ReadResult,
): VerifiedObject {
  const ok =
    expected !== null && read.sha256 === expected.sha256.toLowerCase() && read.size === expected.size;
  const error =
    read.error ??
    (expected === null ? 'no expected checksum' : ok ? undefined : 'content differs from what was sealed');
  return {
    key,
    kind,
    expectedSha256: expected?.sha256 ?? null,
    actualSha256: read.sha256,
    expectedSize: expected?.size ?? null,
    size: read.size,
    ok,
    ...(error ? { error } : {}),
  };
}

function unavailable(err: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'WORM store unavailable', cause: err });
}
