// The transparency-log activities: record a message's leaf, integrate checkpoints, audit.
import { Context } from '@temporalio/activity';
import { appendLeaf } from '../ledger/append';
import { auditTenant } from '../ledger/audit';
import { ensureLedgerWorkflows } from '../ledger/ensure';
import { integrateIfDue } from '../ledger/integrate';
import type { ActivityDeps } from './deps';

export function createLedgerActivities(deps: ActivityDeps) {
  return {
    /**
     * Runs started before seal recorded the leaf itself still run this step: idempotent, it finds
     * the leaf (a retry or a reset run does too). The index comes from the integrator.
     */
    async appendToLedger(
      input: { tenantId: string; messageId: string },
      manifest: { manifestKey: string; manifestSha256: string },
    ): Promise<{ leafIndex: number | null }> {
      const { leafIndex, firstForTenant } = await appendLeaf(deps.db, {
        tenantId: input.tenantId,
        messageId: input.messageId,
        ...manifest,
      });
      if (firstForTenant) await startTenantLedger(deps, input.tenantId);
      return { leafIndex };
    },

    async integrateCheckpoint(tenantId: string) {
      return integrateIfDue(deps, tenantId);
    },

    async auditLedger(tenantId: string, sample: number) {
      const report = await auditTenant(deps, tenantId, { sample });
      return { ok: report.ok, treeSize: report.treeSize, problems: report.problems.length };
    },
  };
}

/** The call that created a tenant's log starts its integrator and auditor (from inside an activity). */
export async function startTenantLedger({ evidence }: Pick<ActivityDeps, 'evidence'>, tenantId: string) {
  const ctx = Context.current();
  await ensureLedgerWorkflows(ctx.client, tenantId, {
    taskQueue: ctx.info.taskQueue,
    auditIntervalSeconds: evidence.auditIntervalSeconds,
    auditSample: evidence.auditSample,
  });
}
