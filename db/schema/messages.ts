import { getTableColumns, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Participant } from '../../lib/payload';
import { updatedAt } from './columns';
import { endpoints } from './endpoints';
import { tenants } from './tenants';

export const messageStatusEnum = pgEnum('message_status', ['received', 'stored', 'archived', 'failed']);
export type MessageStatus = (typeof messageStatusEnum.enumValues)[number];

export type { Participant };

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

// --- Search columns, all derived by PostgreSQL itself (STORED generated columns), so every
// writer (persist, failure records, backfills, the search benchmark) gets them for free and
// they can never drift from the data. Every function used is IMMUTABLE on PostgreSQL 15+ and
// PGlite (jsonb_build_array is only STABLE, hence the path queries).

/** Lower-cased identifiers of `from` and every `to`, as a JSON array of strings. */
const identifiersJson =
  `(coalesce(jsonb_path_query_array("from", '$.identifier'), '[]'::jsonb)` +
  ` || coalesce(jsonb_path_query_array("to", '$[*].identifier'), '[]'::jsonb))`;

/**
 * Size caps (in characters or bytes of JSON text) for what goes into the tsvector. A tsvector
 * must stay under 1 MB or the INSERT fails, and a failing insert would strand an acknowledged
 * message; with these caps the worst case (every token a distinct 4-byte character) stays
 * around 0.8 MB. Bodies are indexed up to their first 80,000 characters.
 */
export const SEARCH_LIMITS = { body: 80_000, participants: 16_384, extra: 32_768, parts: 8_192 } as const;

/** `tenant <uuid>`: see search_vector. */
export const TENANT_LEXEME_PREFIX = 'tenant ';

const searchVectorSql = sql.raw(
  [
    // Body: the default parser with the 'simple' configuration (no stemming, no stop words:
    // language-neutral); e-mail addresses, hosts, URLs and numbers stay whole tokens.
    `to_tsvector('simple'::regconfig, left(coalesce("body", ''), ${SEARCH_LIMITS.body}))`,
    // Participants: every string of from/to (identifiers, display names), not the keys.
    `CASE WHEN octet_length(coalesce("from", 'null'::jsonb)::text) + octet_length(coalesce("to", 'null'::jsonb)::text) <= ${SEARCH_LIMITS.participants}` +
      ` THEN jsonb_to_tsvector('simple'::regconfig, coalesce("from", '{}'::jsonb), '["string","numeric"]')` +
      ` || jsonb_to_tsvector('simple'::regconfig, coalesce("to", '[]'::jsonb), '["string","numeric"]')` +
      ` ELSE to_tsvector('simple'::regconfig, left(coalesce("from", 'null'::jsonb)::text || ' ' || coalesce("to", 'null'::jsonb)::text, ${SEARCH_LIMITS.participants})) END`,
    // Extra fields: every string and number value.
    `CASE WHEN octet_length("extra"::text) <= ${SEARCH_LIMITS.extra}` +
      ` THEN jsonb_to_tsvector('simple'::regconfig, "extra", '["string","numeric"]')` +
      ` ELSE to_tsvector('simple'::regconfig, left("extra"::text, ${SEARCH_LIMITS.extra})) END`,
    // Parts of identifiers and extra strings split on punctuation, so 'alice' finds
    // alice@example.com and '4711' finds INC-4711 (the whole forms are indexed above).
    `to_tsvector('simple'::regconfig, regexp_replace(left(${identifiersJson}::text` +
      ` || ' ' || coalesce(jsonb_path_query_array("extra", 'strict $.** ? (@.type() == "string")'), '[]'::jsonb)::text,` +
      ` ${SEARCH_LIMITS.parts}), '[^[:alnum:]]+', ' ', 'g'))`,
    // The tenant as a lexeme no text can produce (the parser never yields a space), so every
    // search ANDs it into its tsquery and the GIN index returns this tenant's matches only.
    `array_to_tsvector(ARRAY['${TENANT_LEXEME_PREFIX}' || "tenant_id"::text])`,
  ].join(' || '),
);

/**
 * A JSONB value under its tenant's id, `{"<tenant id>": value}`. GIN (jsonb_path_ops) indexes
 * over it hash the tenant into every key, so a containment filter finds (and the planner
 * estimates) one tenant's matches only, never another tenant's look-alikes.
 */
const tenantScoped = (tenantId: AnyPgColumn, value: AnyPgColumn) =>
  sql`jsonb_set('{}'::jsonb, ARRAY[${tenantId}::text], ${value})`;

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
    // Fields PostgreSQL could not hold as sent (NUL, unpaired surrogates), stored in the lossless
    // form of db/storable-text.ts: JSON Pointers into the payload, and the scheme's name.
    escapedFields: text('escaped_fields').array().notNull().default(sql`'{}'::text[]`),
    escapeScheme: text('escape_scheme'),
    // Number of attachments the payload declared (set by persist).
    attachmentCount: integer('attachment_count').notNull().default(0),
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
    updatedAt: updatedAt(),
    // Search: the sort key (occurred_at; received_at for a message whose payload never parsed).
    sortAt: timestamp('sort_at', { withTimezone: true })
      .notNull()
      .generatedAlwaysAs(sql`coalesce("occurred_at", "received_at")`),
    // Search: lower-cased participant identifiers, for `participants @> '["bob@example.com"]'`.
    participants: jsonb('participants')
      .$type<string[]>()
      .notNull()
      .generatedAlwaysAs(sql.raw(`lower(${identifiersJson}::text)::jsonb`)),
    // Search: full text over body, participants and extra fields.
    searchVector: tsvector('search_vector').notNull().generatedAlwaysAs(searchVectorSql),
  },
  (t) => [
    // The permanent dedup guarantee, beyond Temporal's retention.
    uniqueIndex('messages_endpoint_external_id_uq').on(t.endpointId, t.externalId),
    // Keyset order (received_at, id); read backwards for newest first.
    index('messages_tenant_received_idx').on(t.tenantId, t.receivedAt, t.id),
    index('messages_endpoint_received_idx').on(t.endpointId, t.receivedAt, t.id),
    index('messages_status_idx').on(t.status).where(sql`${t.status} <> 'archived'`),
    // Search: keyset order (sort_at, id) per tenant and per endpoint; read backwards for newest first.
    index('messages_tenant_sort_idx').on(t.tenantId, t.sortAt, t.id),
    index('messages_endpoint_sort_idx').on(t.endpointId, t.sortAt, t.id),
    index('messages_search_idx').using('gin', t.searchVector),
    index('messages_participants_idx').using(
      'gin',
      sql`${tenantScoped(t.tenantId, t.participants)} jsonb_path_ops`,
    ),
    index('messages_extra_idx').using('gin', sql`${tenantScoped(t.tenantId, t.extra)} jsonb_path_ops`),
  ],
);

export type Message = typeof messages.$inferSelect;

/** The indexed expressions: `tenantScopedExtra @> '{"<tenant id>": {"ticket": {"priority": "high"}}}'`. */
export const tenantScopedExtra = tenantScoped(messages.tenantId, messages.extra);
export const tenantScopedParticipants = tenantScoped(messages.tenantId, messages.participants);

/**
 * Every column a reader needs, without the derived search columns (the tsvector is ~45% of a
 * row): select these rather than `select()` when loading messages to show or seal them.
 */
export function messageColumns() {
  const { searchVector: _v, participants: _p, sortAt: _s, ...columns } = getTableColumns(messages);
  return columns;
}

export type MessageRecord = Omit<Message, 'searchVector' | 'participants' | 'sortAt'>;
