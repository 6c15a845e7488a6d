import { bigserial, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';
import { tenants } from './tenants';

// Append-only: a trigger (migration 0001) refuses UPDATE and DELETE.
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').references(() => tenants.id),
    // 'admin_key:<id>' (any API key), 'user:<subject>' (signed-in UI user), 'ingest', 'worker', 'system'
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    // Where an access came from (client IP), for reads and changes made through the admin API.
    sourceIp: text('source_ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_tenant_idx').on(t.tenantId, t.createdAt),
    index('audit_log_target_idx').on(t.targetId),
    // audit.list pages newest first by id within a tenant.
    index('audit_log_tenant_id_idx').on(t.tenantId, t.id),
  ],
);

export type AuditEntry = typeof auditLog.$inferInsert;
