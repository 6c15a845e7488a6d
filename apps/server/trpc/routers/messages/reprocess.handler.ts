// messages.reprocess: an operator re-runs archiving of a failed or stuck message from the exact
// bytes its ingest receipt holds, under the same workflow id, so it can never become a second
// record (the message id and the row's unique key are derived from (endpoint, external_id),
// and every activity is idempotent).
//
// Failed: the last run closed as failed, which WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
// lets a new run replace. Stuck (unfinished past STUCK_AFTER_MS, db/stuck.ts): the run may still
// be open, retrying an outage or a bug; it is terminated and a fresh run started in its place
// in one call (WorkflowIdConflictPolicy.TERMINATE_EXISTING). Not a Temporal reset: a reset
// needs an event of the old history to resume from and keeps that history's half-done state,
// while a fresh run starts from the store of record (the receipt), as every retry already
// does, and takes the deployed code; the activities make running a step twice harmless.
// Refused: an archived message (nothing to redo; a completed run is never redone, whatever the
// database says), and one still in progress within the stuck threshold (it is doing its job).

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { dueForRelayNow, findTenantReceipt, reopenReceipt, restoreReceipt } from '../../../../../db/receipts';
import { messages } from '../../../../../db/schema';
import { isStuck } from '../../../../../db/stuck';
import { RefusalError } from '../../refusal';
import type { TenantContext } from '../../trpc';
import type { MessageIdInput } from './get.schema';

export interface ReprocessResult {
  messageId: string;
  workflowId: string;
  /** What the message was when the operator asked. */
  previous: 'failed' | 'stuck';
  /** False while Temporal is unreachable: the relay starts the run as soon as it is back. */
  started: boolean;
}

export async function reprocessMessageHandler({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: MessageIdInput;
}): Promise<ReprocessResult> {
  const tenantId = ctx.principal.tenantId;
  const receipt = await findTenantReceipt(ctx.db, tenantId, input.id);
  if (!receipt) throw new TRPCError({ code: 'NOT_FOUND', message: `message ${input.id} not found` });
  const [row] = await ctx.db
    .select({ status: messages.status })
    .from(messages)
    .where(and(eq(messages.id, receipt.id), eq(messages.tenantId, tenantId)));
  if (receipt.state === 'archived' || row?.status === 'archived') {
    throw new RefusalError(
      'CONFLICT',
      'message_archived',
      'message is archived; there is nothing to reprocess',
    );
  }
  const previous =
    receipt.state === 'failed' ? 'failed' : isStuck(receipt, ctx.config.STUCK_AFTER_MS) ? 'stuck' : null;
  if (!previous) {
    throw new RefusalError(
      'CONFLICT',
      'message_in_progress',
      `message is being archived (received ${receipt.receivedAt.toISOString()}); it can be reprocessed once it is stuck, ${Math.round(ctx.config.STUCK_AFTER_MS / 1000)} s after receipt`,
    );
  }

  // Reopen and audit first, together: the run must find its receipt owed work to close it, and
  // the request is on record even if everything after this line crashes (then the relay starts it).
  await ctx.db.transaction(async (tx) => {
    if (!(await reopenReceipt(tx, receipt.id, receipt.state, ctx.config.RELAY_RECHECK_MS))) {
      throw new RefusalError('CONFLICT', 'message_in_progress', 'message was just restarted; look again');
    }
    await audit(tx, {
      tenantId,
      actor: ctx.principal.actor,
      sourceIp: ctx.principal.sourceIp,
      action: 'message.reprocessed',
      targetType: 'message',
      targetId: receipt.id,
      details: {
        previous,
        receiptState: receipt.state,
        error: receipt.error,
        workflowId: receipt.workflowId,
        externalId: receipt.externalId,
      },
    });
  });

  try {
    await ctx.relay.restart(receipt);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // Temporal has a completed run under this id: redoing it could seal twice. Put back what was.
      await restoreReceipt(ctx.db, receipt.id, receipt);
      throw new RefusalError(
        'CONFLICT',
        'run_completed',
        `the workflow ${receipt.workflowId} already completed; it is not run again`,
      );
    }
    ctx.log.warn({ err, messageId: receipt.id }, 'reprocess: workflow start failed; the relay starts it');
    await dueForRelayNow(ctx.db, receipt.id);
    return { messageId: receipt.id, workflowId: receipt.workflowId, previous, started: false };
  }
  return { messageId: receipt.id, workflowId: receipt.workflowId, previous, started: true };
}
