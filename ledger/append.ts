// The log's write path in two steps, so the archive's hot path never waits on a per-tenant lock:
//   appendLeaf: the workflow records a message's leaf (one plain insert; idempotent by message),
//     alone or inside the statement that marks the message archived (leafCtes);
//   sequenceLeaves: the tenant's integrator gives pending leaves dense indexes, in batches,
//   under the head row's lock (one writer per tenant, whatever retries overlap).
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { type Db, executePrepared, rowsOf } from '../db/client';
import { ledgerHeads, ledgerLeaves } from '../db/schema';

export interface AppendInput {
  tenantId: string;
  messageId: string;
  manifestSha256: string;
  manifestKey: string;
}

export interface AppendResult {
  created: boolean;
  firstForTenant: boolean;
  leafIndex: number | null;
}

/** Records the leaf once. `firstForTenant` is true when this call created the tenant's log. */
export async function appendLeaf(db: Db, input: AppendInput): Promise<AppendResult> {
  // One round trip on the hot path: create the tenant's head if absent, insert the leaf if absent.
  const result = await executePrepared(db, sql`WITH ${leafCtes(input)} SELECT ${leafOutcome}`);
  return settleLeaf(db, input, rowsOf<LeafOutcome>(result)[0]!);
}

/**
 * The leaf's two inserts as common table expressions (`head`, `leaf`), so another statement can
 * record the leaf in the same round trip and transaction (the archive's seal does); select
 * `leafOutcome` from it and hand the row to settleLeaf.
 */
export function leafCtes(input: AppendInput): SQL {
  return sql`head AS (
      INSERT INTO ledger_heads (tenant_id, size) VALUES (${input.tenantId}, 0)
      ON CONFLICT DO NOTHING RETURNING tenant_id
    ), leaf AS (
      INSERT INTO ledger_leaves (tenant_id, message_id, manifest_sha256, manifest_key)
      VALUES (${input.tenantId}, ${input.messageId}, ${input.manifestSha256}, ${input.manifestKey})
      ON CONFLICT (message_id) DO NOTHING RETURNING message_id
    )`;
}

export const leafOutcome = sql`(SELECT count(*) FROM head)::int AS first, (SELECT count(*) FROM leaf)::int AS created`;
export interface LeafOutcome {
  first: number;
  created: number;
}

/** A leaf already there (a retry, a reset run) must be this very manifest's. */
export async function settleLeaf(db: Db, input: AppendInput, row: LeafOutcome): Promise<AppendResult> {
  const firstForTenant = row.first > 0;
  if (row.created > 0) return { created: true, firstForTenant, leafIndex: null };
  const [existing] = await db
    .select({
      leafIndex: ledgerLeaves.leafIndex,
      tenantId: ledgerLeaves.tenantId,
      sha: ledgerLeaves.manifestSha256,
    })
    .from(ledgerLeaves)
    .where(eq(ledgerLeaves.messageId, input.messageId));
  // A different manifest for a logged message would be a second version of the record: refuse.
  if (!existing || existing.tenantId !== input.tenantId || existing.sha !== input.manifestSha256)
    throw new Error(`message ${input.messageId} is already logged with another manifest`);
  return { created: false, firstForTenant, leafIndex: existing.leafIndex };
}

/** Assigns the next dense indexes to up to `max` pending leaves (oldest first); returns the new size. */
export async function sequenceLeaves(db: Db, tenantId: string, max = 100_000): Promise<number> {
  return db.transaction(async (tx) => {
    const [head] = await tx
      .select({ size: ledgerHeads.size })
      .from(ledgerHeads)
      .where(eq(ledgerHeads.tenantId, tenantId))
      .for('update');
    if (!head) return 0;
    const numbered = await tx.execute(sql`
      UPDATE ledger_leaves l SET leaf_index = ${head.size} + p.rn - 1
      FROM (
        SELECT message_id, row_number() OVER (ORDER BY created_at, message_id) AS rn
        FROM ledger_leaves
        WHERE tenant_id = ${tenantId} AND leaf_index IS NULL
        ORDER BY created_at, message_id
        LIMIT ${max}
      ) p
      WHERE l.message_id = p.message_id
      RETURNING l.leaf_index`);
    const count = rowCount(numbered);
    if (count === 0) return head.size;
    const size = head.size + count;
    await tx
      .update(ledgerHeads)
      .set({ size })
      .where(and(eq(ledgerHeads.tenantId, tenantId)));
    return size;
  });
}

const rowCount = (result: unknown) => rowsOf(result).length;
