import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, timestamptz } from './columns';
import { authModeEnum, endpoints } from './endpoints';
import { tenants } from './tenants';

/**
 * pending: committed (the 200 was sent), workflow not known to be started;
 * started: the relay started it (or found it running);
 * archived / failed: the workflow finished (failed = a visible, non-retryable data error).
 */
export const receiptStateEnum = pgEnum('receipt_state', ['pending', 'started', 'archived', 'failed']);
export type ReceiptState = (typeof receiptStateEnum.enumValues)[number];
/** Receipts the archive still owes work on: what the backlog bound counts. */
export const BACKLOG_STATES = ['pending', 'started'] as const satisfies readonly ReceiptState[];

// The store of record for the ack: one row per (endpoint, external_id), written before the 200.
// Its unique key decides accepted vs duplicate, permanently; a relay drives every row that is
// not archived into its workflow (apps/server/relay/).
export const ingestReceipts = pgTable(
  'ingest_receipts',
  {
    // The message id, derived from (endpoint, external_id): every duplicate maps to it.
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => endpoints.id),
    externalId: text('external_id').notNull(),
    // The exact bytes received: inline up to INLINE_BODY_MAX_BYTES, else a sealed WORM object
    // (claim check, content-addressed). Exactly one is set.
    raw: bytea('raw'),
    claimCheckKey: text('claim_check_key'),
    rawSha256: text('raw_sha256').notNull(),
    rawSize: bigint('raw_size', { mode: 'number' }).notNull(),
    // The message JSON as mapped from a source preset's delivery; null when the raw body is it.
    payload: bytea('payload'),
    // Request headers kept as evidence, secrets masked.
    requestHeaders: jsonb('request_headers').$type<Record<string, string | string[]>>(),
    authMode: authModeEnum('auth_mode').notNull(),
    receivedAt: timestamptz('received_at').notNull(),
    requestId: text('request_id').notNull(),
    sourceIp: text('source_ip'),
    /** The W3C traceparent of the request's span (tracing on, sampled), so a redriven start
     * continues the ingest request's trace (lib/tracing). */
    traceparent: text('traceparent'),
    // The tenant's retention at receipt: every object of the message is sealed at least this long.
    retentionDays: integer('retention_days').notNull(),
    workflowId: text('workflow_id').notNull(),
    state: receiptStateEnum('state').notNull().default('pending'),
    // Relay bookkeeping: starts tried, and when the relay looks at this row again.
    relayAttempts: integer('relay_attempts').notNull().default(0),
    nextRelayAt: timestamptz('next_relay_at').notNull().defaultNow(),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('ingest_receipts_endpoint_external_id_uq').on(t.endpointId, t.externalId),
    // The relay's queue and the backlog: only rows still owed work are indexed.
    index('ingest_receipts_relay_idx').on(t.nextRelayAt).where(sql`${t.state} in ('pending', 'started')`),
    index('ingest_receipts_backlog_idx')
      .on(t.tenantId, t.receivedAt)
      .where(sql`${t.state} in ('pending', 'started')`),
  ],
);

export type IngestReceipt = typeof ingestReceipts.$inferSelect;
export type NewIngestReceipt = typeof ingestReceipts.$inferInsert;
