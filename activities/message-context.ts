// What every archive step works from: the receipt the ack committed, with its exact bytes read
// back (inline, or the claim-check object) and proven to be the bytes the HTTP app hashed.
import type { Db } from '../db/client';
import { loadReceipt } from '../db/receipts';
import type { IngestReceipt } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { parsePayload } from '../lib/payload';
import type { ArchiveMessageInput } from '../workflows/types';
import type { WormStore } from '../worm/store';
import { ArchiveDataError } from './failures';

/** The message's identity and request context, as recorded at receipt. */
export interface MessageContext {
  tenantId: string;
  endpointId: string;
  messageId: string;
  workflowId: string;
  externalId: string;
  authMode: IngestReceipt['authMode'];
  requestId: string;
  /** ISO 8601. */
  receivedAt: string;
  sourceIp: string | null;
  retentionDays: number;
  raw: { sha256: string; size: number };
}

/** The receipt behind a workflow input, without its bytes (enough to record a failure). */
export async function loadReceiptContext(db: Db, input: ArchiveMessageInput) {
  const receipt = receiptOrFail(await loadReceipt(db, input.messageId), input);
  return { receipt, ctx: contextOf(receipt) };
}

/** A workflow whose receipt is gone can never archive: non-retryable, the message fails. */
export function receiptOrFail<T>(found: T | undefined, input: ArchiveMessageInput): T {
  if (!found) throw new ArchiveDataError('integrity', `no ingest receipt ${input.messageId}`);
  return found;
}

/** The context plus the exact bytes received and the message JSON the archive is made from. */
export async function loadMessageContext(db: Db, worm: WormStore, input: ArchiveMessageInput) {
  const { receipt, ctx } = await loadReceiptContext(db, input);
  const raw = await verifiedRawBytes(worm, receipt, input);
  // A source preset's delivery was mapped to the message at the door; otherwise the body is it.
  const message = receipt.payload ?? raw;
  return { ctx, raw, message };
}

/** The message's identity and request context, as its receipt recorded them. */
export function contextOf(receipt: IngestReceipt): MessageContext {
  return {
    tenantId: receipt.tenantId,
    endpointId: receipt.endpointId,
    messageId: receipt.id,
    workflowId: receipt.workflowId,
    externalId: receipt.externalId,
    authMode: receipt.authMode,
    requestId: receipt.requestId,
    receivedAt: receipt.receivedAt.toISOString(),
    sourceIp: receipt.sourceIp,
    retentionDays: receipt.retentionDays,
    raw: { sha256: receipt.rawSha256, size: receipt.rawSize },
  };
}

/** The receipt's bytes (inline, or the claim-check object), proven to be the ones the run was started for. */
export async function verifiedRawBytes(
  worm: WormStore,
  receipt: IngestReceipt,
  input: ArchiveMessageInput,
): Promise<Buffer> {
  if (receipt.rawSha256 !== input.rawSha256) {
    throw new ArchiveDataError(
      'integrity',
      `receipt ${receipt.id} holds ${receipt.rawSha256}, the workflow was started for ${input.rawSha256}`,
    );
  }
  return await readRawBytes(worm, receipt);
}

async function readRawBytes(worm: WormStore, receipt: IngestReceipt): Promise<Buffer> {
  let bytes: Buffer;
  if (receipt.raw) {
    bytes = receipt.raw;
  } else if (receipt.claimCheckKey) {
    const chunks: Buffer[] = [];
    for await (const chunk of await worm.get(receipt.claimCheckKey)) chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  } else {
    throw new ArchiveDataError(
      'integrity',
      `receipt ${receipt.id} has neither inline bytes nor a claim check`,
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== receipt.rawSha256) {
    throw new ArchiveDataError(
      'integrity',
      `raw body hash mismatch: expected ${receipt.rawSha256}, got ${actual}`,
    );
  }
  return bytes;
}

/** Parses the message with the same schema as the HTTP app; a refusal is final. */
export function parseOrFail(bytes: Uint8Array) {
  const result = parsePayload(bytes);
  if (!result.ok) {
    const detail =
      result.code === 'validation_failed'
        ? `: ${result.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
        : '';
    throw new ArchiveDataError('validation', `${result.message}${detail}`);
  }
  return result;
}
