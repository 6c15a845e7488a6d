// The per-tenant ledger workflows' ids: one of each per tenant, so starting them is idempotent.
// Imported by workflow code too, so: constants and plain functions only.
export const integratorWorkflowId = (tenantId: string) => `ledger-integrator-${tenantId}`;
export const auditorWorkflowId = (tenantId: string) => `ledger-audit-${tenantId}`;
