import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea, createdAt } from './columns';
import { tenants } from './tenants';

// One leaf of a tenant's transparency log per archived message. Deliberately no foreign key to
// messages: a deleted message row must leave its leaf behind, so the audit can report it.
// The workflow inserts the leaf (a plain insert, no per-tenant lock on the hot path); the
// tenant's integrator then sequences pending leaves in batches, assigning dense indexes.
export const ledgerLeaves = pgTable(
  'ledger_leaves',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    // Null until the integrator sequences it.
    leafIndex: bigint('leaf_index', { mode: 'number' }),
    messageId: uuid('message_id').notNull(),
    // The leaf: SHA-256 of the sealed manifest bytes (hex); its RFC 9162 hash is derived.
    manifestSha256: text('manifest_sha256').notNull(),
    manifestKey: text('manifest_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_leaves_tenant_index_uq').on(t.tenantId, t.leafIndex),
    uniqueIndex('ledger_leaves_message_uq').on(t.messageId),
    index('ledger_leaves_pending_idx').on(t.tenantId, t.createdAt).where(sql`${t.leafIndex} IS NULL`),
  ],
);

/** Per-tenant log head: the sequenced size. Its row lock serialises sequencing (never appends). */
export const ledgerHeads = pgTable('ledger_heads', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  size: bigint('size', { mode: 'number' }).notNull().default(0),
});

export const ledgerCheckpoints = pgTable(
  'ledger_checkpoints',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
    rootHash: text('root_hash').notNull(),
    // The C2SP signed note, exactly as sealed in WORM under wormKey.
    note: text('note').notNull(),
    wormKey: text('worm_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('ledger_checkpoints_tenant_size_uq').on(t.tenantId, t.treeSize)],
);

/**
 * The log's perfect subtrees of two or more leaves: node (level, idx) is the RFC 9162 hash of
 * leaves [idx·2^level, (idx+1)·2^level). Written by the integrator as each completes (they never
 * change), so a proof reads O(log n) rows instead of rehashing every leaf. A cache of what the
 * leaves already say: the audit rebuilds from the leaves and checks these against it.
 */
export const ledgerNodes = pgTable(
  'ledger_nodes',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    level: integer('level').notNull(),
    idx: bigint('idx', { mode: 'number' }).notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.level, t.idx] })],
);

/** One finding of the ledger audit: what is wrong, and where. */
export interface LedgerProblem {
  kind:
    | 'message_row_missing'
    | 'message_altered'
    | 'leaf_missing'
    | 'unlogged_message'
    | 'checkpoint_mismatch'
    | 'checkpoint_unsealed'
    | 'checkpoint_row_missing'
    | 'node_mismatch'
    | 'object_missing'
    | 'object_altered';
  messageId?: string;
  leafIndex?: number;
  treeSize?: number;
  key?: string;
  detail: string;
}

/** The latest audit per tenant, for ledger.status() and the UI banner (history is in audit_log). */
export const ledgerAudits = pgTable(
  'ledger_audits',
  {
    tenantId: uuid('tenant_id')
      .primaryKey()
      .references(() => tenants.id),
    ranAt: timestamp('ran_at', { withTimezone: true }).notNull(),
    ok: boolean('ok').notNull(),
    treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
    checkedObjects: bigint('checked_objects', { mode: 'number' }).notNull(),
    problems: jsonb('problems').$type<LedgerProblem[]>().notNull(),
    sampleCursor: bigint('sample_cursor', { mode: 'number' }).notNull().default(0),
    /** Where the next run's rolling window of older sealed checkpoints starts. */
    checkpointCursor: bigint('checkpoint_cursor', { mode: 'number' }).notNull().default(0),
  },
  (t) => [index('ledger_audits_ok_idx').on(t.ok)],
);

export type LedgerLeaf = typeof ledgerLeaves.$inferSelect;
export type LedgerCheckpoint = typeof ledgerCheckpoints.$inferSelect;
