import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

// What we answered a producer, and why (apps/server/request-log/). Bounded: rows older than
// REQUEST_LOG_RETENTION_DAYS or beyond REQUEST_LOG_MAX_ROWS are pruned. Holds no secret, no
// Authorization value and no body: only the body's size and SHA-256, and masked headers.
// No foreign keys: the log must keep recording (and pruning) without locking endpoint rows.
export const requestLog = pgTable(
  'request_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Null when the token resolved to no endpoint (then no tenant may see the row). */
    tenantId: uuid('tenant_id'),
    endpointId: uuid('endpoint_id'),
    requestId: text('request_id').notNull(),
    method: text('method').notNull(),
    status: smallint('status').notNull(),
    code: text('code').notNull(),
    reason: text('reason').notNull(),
    sourceIp: text('source_ip'),
    bodyBytes: integer('body_bytes'),
    bodySha256: text('body_sha256'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    ackMs: real('ack_ms').notNull(),
  },
  (t) => [
    index('request_log_tenant_at_idx').on(t.tenantId, t.at, t.id),
    index('request_log_endpoint_at_idx').on(t.endpointId, t.at, t.id),
    index('request_log_at_idx').on(t.at),
  ],
);

export type RequestLogRow = typeof requestLog.$inferSelect;
export type RequestLogInsert = typeof requestLog.$inferInsert;
