// Starts a tenant's integrator and auditor if they are not running (idempotent by workflow id):
// on worker start for every tenant, and from the append activity when a tenant's log begins.
import { type Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { auditorWorkflowId, integratorWorkflowId } from './workflow-ids';

export interface LedgerWorkflowSettings {
  taskQueue: string;
  auditIntervalSeconds: number;
  auditSample: number;
}

export async function ensureLedgerWorkflows(
  client: Client,
  tenantId: string,
  s: LedgerWorkflowSettings,
): Promise<void> {
  const common = { taskQueue: s.taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING };
  await client.workflow.start('ledgerIntegrator', {
    ...common,
    workflowId: integratorWorkflowId(tenantId),
    args: [{ tenantId }],
  });
  await client.workflow.start('ledgerAuditor', {
    ...common,
    workflowId: auditorWorkflowId(tenantId),
    args: [{ tenantId, intervalSeconds: s.auditIntervalSeconds, sample: s.auditSample }],
  });
}

/** At worker start: every tenant with a log gets its integrator and auditor (idempotent). */
export async function ensureAllLedgerWorkflows(
  client: Client,
  tenantIds: readonly string[],
  s: LedgerWorkflowSettings,
): Promise<void> {
  for (const tenantId of tenantIds) await ensureLedgerWorkflows(client, tenantId, s);
}
