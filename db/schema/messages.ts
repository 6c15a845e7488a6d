import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { endpoints } from './endpoints';
import { tenants } from './tenants';

export const messageStatusEnum = pgEnum('message_status', ['received', 'stored', 'archived', 'failed']);
export type MessageStatus = (typeof messageStatusEnum.enumValues)[number];

export interface Participant {
  identifier: string;
  display_name?: string | undefined;
}

export const messages = pgTable(
  'messages',
  {
    // Derived from (endpoint, external_id), so every duplicate answers with the same id.
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => endpoints.id),
    externalId: text('external_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    from: jsonb('from').$type<Participant>(),
    to: jsonb('to').$type<Participant[]>(),
    body: text('body'),
    // Every field of the payload beyond the contract's, kept as-is.
    extra: jsonb('extra').$type<Record<string, unknown>>().notNull().default({}),
    rawSha256: text('raw_sha256').notNull(),
    rawSize: bigint('raw_size', { mode: 'number' }).notNull(),
    requestId: text('request_id').notNull(),
    sourceIp: text('source_ip'),
    workflowId: text('workflow_id').notNull(),
    status: messageStatusEnum('status').notNull().default('received'),
    error: text('error'),
    // Key of the sealed manifest in the WORM store, once committed.
    manifestKey: text('manifest_key'),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The permanent dedup guarantee, beyond Temporal's retention.
    uniqueIndex('messages_endpoint_external_id_uq').on(t.endpointId, t.externalId),
    index('messages_tenant_received_idx').on(t.tenantId, t.receivedAt.desc(), t.id),
    index('messages_endpoint_received_idx').on(t.endpointId, t.receivedAt.desc(), t.id),
    index('messages_status_idx').on(t.status).where(sql`${t.status} <> 'archived'`),
  ],
);

export type Message = typeof messages.$inferSelect;
