import { bigint, index, integer, jsonb, pgEnum, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz, updatedAt } from './columns';
import { tenants } from './tenants';

// expired: the bundle outlived EXPORT_RETENTION_DAYS and its file was deleted (the row stays, as the record).
export const exportStateEnum = pgEnum('export_state', ['running', 'completed', 'failed', 'expired']);
export type ExportState = (typeof exportStateEnum.enumValues)[number];

export type ExportFormat = 'rsmf' | 'eml' | 'jsonl';

/** What was asked for: kept as given, so the bundle (and a re-run) is reproducible from the row. */
export interface ExportFilters {
  endpointId?: string;
  from: string;
  to: string;
  q?: string;
  formats: ExportFormat[];
}

// One export bundle (export/ builds it; workflows/export.ts drives it). Progress is written by the
// building activity, which also heartbeats it to Temporal (a dead worker's run resumes from there).
export const exportJobs = pgTable(
  'exports',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    requestedBy: text('requested_by').notNull(),
    filters: jsonb('filters').$type<ExportFilters>().notNull(),
    state: exportStateEnum('state').notNull().default('running'),
    done: integer('done').notNull().default(0),
    total: integer('total').notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    error: text('error'),
    // The finished zip: its size and SHA-256 (what the download's X-Content-SHA256 announces).
    size: bigint('size', { mode: 'number' }),
    sha256: text('sha256'),
    workflowId: text('workflow_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [index('exports_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

export type ExportRow = typeof exportJobs.$inferSelect;
