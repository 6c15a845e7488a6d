import { bigint, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns';
import { messages } from './messages';
import { tenants } from './tenants';

export const attachmentSourceEnum = pgEnum('attachment_source', ['inline', 'url']);
export const attachmentStatusEnum = pgEnum('attachment_status', ['pending', 'stored', 'fetch_failed']);

export const attachments = pgTable(
  'attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id),
    // Position in the payload's attachments array: the natural, stable identity.
    ordinal: integer('ordinal').notNull(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    source: attachmentSourceEnum('source').notNull(),
    url: text('url'),
    size: bigint('size', { mode: 'number' }),
    sha256: text('sha256'),
    status: attachmentStatusEnum('status').notNull().default('pending'),
    wormKey: text('worm_key'),
    error: text('error'),
    provenance: jsonb('provenance').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('attachments_message_ordinal_uq').on(t.messageId, t.ordinal)],
);

export type Attachment = typeof attachments.$inferSelect;
