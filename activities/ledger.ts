// The transparency-log activities: append a message's leaf, integrate checkpoints, audit.
import { Context } from '@temporalio/activity';
import { appendLeaf } from '../ledger/append';
import { auditTenant } from '../ledger/audit';
import { ensureLedgerWorkflows } from '../ledger/ensure';
import { integrateIfDue } from '../ledger/integrate';
import { CHECKPOINT_EVERY_LEAVES } from '../ledger/workflow-ids';
import type { ActivityDeps } from './deps';

export function createLedgerActivities(deps: ActivityDeps) {
  const { evidence } = deps;
  return {
    /** Idempotent: a retry (or a reset run) finds the message's leaf and returns its index. */
    async appendToLedger(
      input: { tenantId: string; messageId: string },
      manifest: { manifestKey: string; manifestSha256: string },
    ): Promise<{ leafIndex: number }> {
      const { leafIndex, created } = await appendLeaf(deps.db, { ...input, ...manifest });
      // A tenant's first leaf starts its integrator; every 1,000th asks for an early checkpoint.
      const first = leafIndex === 0;
      if (created && (first || (leafIndex + 1) % CHECKPOINT_EVERY_LEAVES === 0)) {
        const ctx = Context.current();
        await ensureLedgerWorkflows(
          ctx.client,
          input.tenantId,
          {
            taskQueue: ctx.info.taskQueue,
            auditIntervalSeconds: evidence.auditIntervalSeconds,
            auditSample: evidence.auditSample,
          },
          !first,
        );
      }
      return { leafIndex };
    },

    async integrateCheckpoint(tenantId: string, force: boolean) {
      return integrateIfDue(deps, tenantId, force ? { maxLeaves: 1, maxAgeMs: 0 } : undefined);
    },

    async auditLedger(tenantId: string, sample: number) {
      const report = await auditTenant(deps, tenantId, { sample });
      return { ok: report.ok, treeSize: report.treeSize, problems: report.problems.length };
    },
  };
}
