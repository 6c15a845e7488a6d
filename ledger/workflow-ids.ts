// The per-tenant ledger workflows' ids: one of each per tenant, so starting them is idempotent.
// Imported by workflow code too, so: constants and plain functions only.
/** Every ledger workflow id starts so (tracing leaves these endless loops out). */
export const LEDGER_WORKFLOW_PREFIX = 'ledger-';
export const integratorWorkflowId = (tenantId: string) => `${LEDGER_WORKFLOW_PREFIX}integrator-${tenantId}`;
export const auditorWorkflowId = (tenantId: string) => `${LEDGER_WORKFLOW_PREFIX}audit-${tenantId}`;
