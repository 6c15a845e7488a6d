// Step 8: hand the message to Temporal, durably, exactly once per (endpoint, external_id).
// Returns only after the workflow start has returned (and, for large bodies, after the
// claim-check object is sealed): that is what a 200 promises.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { recordConflict } from '../../../db/conflicts';
import { messages } from '../../../db/schema';
import { archiveWorkflowId, messageIdFor } from '../../../lib/ids';
import { SA_ENDPOINT, SA_EXTERNAL_ID, SA_STATUS, SA_TENANT } from '../../../lib/temporal/search-attributes';
import type { ArchiveMessageInput, RawBodyRef } from '../../../workflows/types';
import { rawBodyKey, retainUntil } from '../../../worm/keys';
import type { WormStore } from '../../../worm/store';
import { mappedPayloadRef } from './sources';

export interface AdmitDeps {
  db: Db;
  temporal: Client;
  worm: WormStore;
  taskQueue: string;
  inlineBodyMaxBytes: number;
  fetchMaxAttempts: number;
  /** How long a Temporal call may take before we answer 503 instead of hanging the producer. */
  temporalTimeoutMs?: number;
}

export interface AdmitRequest {
  tenantId: string;
  endpointId: string;
  authMode: 'bearer' | 'hmac';
  retentionDays: number;
  externalId: string;
  raw: Buffer;
  rawSha256: string;
  requestId: string;
  receivedAt: Date;
  sourceIp: string | null;
  /** Sources hook: the message as mapped from a SaaS preset (JSON bytes), when not the raw body. */
  payload?: Buffer;
}

export interface AdmitResult {
  status: 'accepted' | 'duplicate';
  messageId: string;
  workflowId: string;
}

export async function admitMessage(deps: AdmitDeps, req: AdmitRequest): Promise<AdmitResult> {
  const messageId = messageIdFor(req.endpointId, req.externalId);
  const workflowId = archiveWorkflowId(req.endpointId, req.externalId);
  const conflictInput = { ...req, messageId, raw: { sha256: req.rawSha256, size: req.raw.length } };

  // Permanent dedup, beyond Temporal's retention. A failed message may be sent again.
  const [stored] = await deps.db
    .select({ rawSha256: messages.rawSha256, status: messages.status })
    .from(messages)
    .where(and(eq(messages.endpointId, req.endpointId), eq(messages.externalId, req.externalId)))
    .limit(1);
  if (stored && stored.status !== 'failed') {
    if (stored.rawSha256 !== req.rawSha256)
      await recordConflict(deps.db, conflictInput, stored.rawSha256, 'ingest');
    return { status: 'duplicate', messageId, workflowId };
  }

  const raw: RawBodyRef = { sha256: req.rawSha256, size: req.raw.length };
  if (req.raw.length <= deps.inlineBodyMaxBytes) {
    raw.inlineBase64 = req.raw.toString('base64');
  } else {
    // Claim check: Temporal payloads must stay small; the exact bytes are sealed first.
    const put = await deps.worm.put(rawBodyKey(req.tenantId, req.rawSha256), req.raw, {
      contentType: 'application/json',
      retainUntil: retainUntil(req.receivedAt, req.retentionDays),
      expectedSha256: req.rawSha256,
    });
    raw.claimCheckKey = put.key;
  }

  const input: ArchiveMessageInput = {
    tenantId: req.tenantId,
    endpointId: req.endpointId,
    messageId,
    workflowId,
    externalId: req.externalId,
    authMode: req.authMode,
    requestId: req.requestId,
    receivedAt: req.receivedAt.toISOString(),
    sourceIp: req.sourceIp,
    raw,
    // Sources hook: the mapped message travels next to the raw reference.
    ...(req.payload ? { payload: await mappedPayloadRef(deps, { ...req, payload: req.payload }) } : {}),
    retentionDays: req.retentionDays,
    fetchMaxAttempts: deps.fetchMaxAttempts,
  };
  const deadline = Date.now() + (deps.temporalTimeoutMs ?? 5000);
  try {
    await deps.temporal.withDeadline(deadline, () =>
      deps.temporal.workflow.start('archiveMessage', {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [input],
        // Running → duplicate; closed within retention → duplicate unless it failed.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { rawSha256: req.rawSha256 },
        typedSearchAttributes: [
          { key: SA_TENANT, value: req.tenantId },
          { key: SA_ENDPOINT, value: req.endpointId },
          { key: SA_EXTERNAL_ID, value: req.externalId },
          { key: SA_STATUS, value: 'received' },
        ],
      }),
    );
    return { status: 'accepted', messageId, workflowId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // In flight (or recently closed): compare with the bytes the first run was started with.
  const first = await deps.temporal.withDeadline(deadline, () =>
    deps.temporal.workflow.getHandle(workflowId).describe(),
  );
  const firstSha = first.memo?.rawSha256;
  if (typeof firstSha === 'string' && firstSha !== req.rawSha256) {
    await recordConflict(deps.db, conflictInput, firstSha, 'ingest');
  }
  return { status: 'duplicate', messageId, workflowId };
}
