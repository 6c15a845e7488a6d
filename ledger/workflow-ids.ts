// The per-tenant ledger workflows: their ids (one of each per tenant, by id) and how to make sure
// they run. Imported by workflow code too, so: constants and plain functions only.
export const integratorWorkflowId = (tenantId: string) => `ledger-integrator-${tenantId}`;
export const auditorWorkflowId = (tenantId: string) => `ledger-audit-${tenantId}`;
export const CHECKPOINT_DUE_SIGNAL = 'checkpointDue';
/** Leaves between early checkpoints (the integrator also runs every 10 s). */
export const CHECKPOINT_EVERY_LEAVES = 1000;
