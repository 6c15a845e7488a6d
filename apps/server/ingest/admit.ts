// The last step of the ack: one durable receipt in the store of record (PostgreSQL), exactly one
// per (endpoint, external_id). Its unique key decides accepted vs duplicate in the same round
// trip, permanently; the 200 is sent only once it is committed. The workflow is started after,
// by the relay, off the response path.
import type { Db } from '../../../db/client';
import { recordConflict } from '../../../db/conflicts';
import { type ReceiptSummary, replaceFailedReceipt } from '../../../db/receipts';
import type { AuthMode, NewIngestReceipt } from '../../../db/schema';
import { archiveWorkflowId, messageIdFor } from '../../../lib/ids';
import { rawBodyKey, retainUntil } from '../../../worm/keys';
import type { WormStore } from '../../../worm/store';
import type { Relay } from '../relay/relay';
import type { Backlog } from './backlog';
import { StaleEndpointError } from './endpoint-cache';
import type { ReceiptWriter } from './receipt-writer';

export interface AdmitDeps {
  db: Db;
  receipts: ReceiptWriter;
  relay: Relay;
  backlog: Backlog;
  worm: WormStore;
  inlineBodyMaxBytes: number;
  /** How long the relay leaves a new receipt to its kick before the sweep starts it too. */
  relayGraceMs: number;
}

export interface AdmitRequest {
  tenantId: string;
  endpointId: string;
  /** The endpoint revision the request was authenticated against (see endpoint-cache.ts). */
  endpointRevision: number;
  authMode: AuthMode;
  retentionDays: number;
  externalId: string;
  raw: Buffer;
  rawSha256: string;
  requestId: string;
  receivedAt: Date;
  sourceIp: string | null;
  /** The message as mapped from a source preset's delivery (JSON bytes), when not the raw body. */
  payload?: Buffer | undefined;
  /** The request's headers as evidence, secrets masked. */
  requestHeaders: Record<string, string | string[]>;
  /** The request span's traceparent (tracing on, sampled): the archive run joins its trace. */
  traceparent?: string | undefined;
  /**
   * Called once the message is let in (backlog checked, body sealed if large), as its receipt
   * row is handed to the writer: the receipt an accepted answer will carry. The ack signs it
   * meanwhile, so it waits for the slower of the write and the signature, not for both in turn.
   */
  onWriting?: (expected: ReceiptSummary) => void;
}

export interface AdmitResult {
  status: 'accepted' | 'duplicate';
  messageId: string;
  workflowId: string;
  /** The receipt the answer is about: for a duplicate, the original's (its time, its hash). */
  receipt: ReceiptSummary;
}

export async function admitMessage(deps: AdmitDeps, req: AdmitRequest): Promise<AdmitResult> {
  deps.backlog.check(req.tenantId, req.raw.length);
  const messageId = messageIdFor(req.endpointId, req.externalId);
  const workflowId = archiveWorkflowId(req.endpointId, req.externalId);

  const row: NewIngestReceipt = {
    id: messageId,
    tenantId: req.tenantId,
    endpointId: req.endpointId,
    externalId: req.externalId,
    rawSha256: req.rawSha256,
    rawSize: req.raw.length,
    authMode: req.authMode,
    receivedAt: req.receivedAt,
    requestId: req.requestId,
    sourceIp: req.sourceIp,
    payload: req.payload ?? null,
    requestHeaders: req.requestHeaders,
    retentionDays: req.retentionDays,
    workflowId,
    traceparent: req.traceparent ?? null,
    nextRelayAt: new Date(req.receivedAt.getTime() + deps.relayGraceMs),
  };
  if (req.raw.length <= deps.inlineBodyMaxBytes) {
    row.raw = req.raw;
  } else {
    // Claim check: a large body is sealed first (content-addressed, so a duplicate's is the same
    // object), and the receipt points at it.
    const put = await deps.worm.put(rawBodyKey(req.tenantId, req.rawSha256), req.raw, {
      contentType: 'application/json',
      retainUntil: retainUntil(req.receivedAt, req.retentionDays),
      expectedSha256: req.rawSha256,
    });
    row.claimCheckKey = put.key;
  }

  const receipt: ReceiptSummary = {
    id: messageId,
    state: 'pending',
    rawSha256: req.rawSha256,
    receivedAt: req.receivedAt,
    requestId: req.requestId,
  };
  const accepted = (): AdmitResult => {
    deps.backlog.noteAccepted(req.tenantId, req.raw.length);
    // The row carries the request's traceparent (tracing on): the start joins its trace.
    deps.relay.kick({ ...row, id: messageId, workflowId, traceparent: row.traceparent ?? null });
    return { status: 'accepted', messageId, workflowId, receipt };
  };

  const writing = deps.receipts.write({ row, endpointRevision: req.endpointRevision });
  req.onWriting?.(receipt);
  const written = await writing;
  if (written.inserted) return accepted();
  if ('stale' in written) throw new StaleEndpointError();
  const stored = written.existing;
  // A message whose archiving failed for good may be sent again: the resend replaces it.
  if (stored.state === 'failed' && (await replaceFailedReceipt(deps.db, row))) return accepted();
  if (stored.rawSha256 !== req.rawSha256) {
    await recordConflict(
      deps.db,
      { ...req, messageId, raw: { sha256: req.rawSha256, size: req.raw.length } },
      stored.rawSha256,
      'ingest',
    );
  }
  return { status: 'duplicate', messageId, workflowId, receipt: stored };
}
