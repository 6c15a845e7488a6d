// Reading a tenant's log back: leaf hashes in index order and checkpoints. Proofs are built
// from the stored subtrees (ledger/nodes.ts); all leaves are read only by the audit, exports, and
// a proof whose nodes are missing.
import { and, asc, desc, eq, gte, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type LedgerCheckpoint, ledgerCheckpoints, ledgerHeads, ledgerLeaves } from '../db/schema';
import { fromHex } from '../evidence/hex';
import { leafHash } from '../evidence/merkle';

/** RFC 9162 leaf hash of a stored leaf: SHA-256(0x00 ‖ manifest SHA-256). */
export const leafHashOf = (manifestSha256: string) => leafHash(fromHex(manifestSha256));

export async function loadLeafHashes(db: Db, tenantId: string, treeSize: number): Promise<Buffer[]> {
  const rows = await db
    .select({ i: ledgerLeaves.leafIndex, h: ledgerLeaves.manifestSha256 })
    .from(ledgerLeaves)
    .where(and(eq(ledgerLeaves.tenantId, tenantId), lt(ledgerLeaves.leafIndex, treeSize)))
    .orderBy(asc(ledgerLeaves.leafIndex));
  if (rows.length !== treeSize || rows.some((r, i) => r.i !== i))
    throw new LedgerInconsistentError(`tenant ${tenantId}: leaves 0..${treeSize - 1} are not all present`);
  return rows.map((r) => leafHashOf(r.h));
}

export class LedgerInconsistentError extends Error {
  override name = 'LedgerInconsistentError';
}

export async function headSize(db: Db, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ size: ledgerHeads.size })
    .from(ledgerHeads)
    .where(eq(ledgerHeads.tenantId, tenantId));
  return row?.size ?? 0;
}

export async function latestCheckpoint(db: Db, tenantId: string): Promise<LedgerCheckpoint | undefined> {
  const [row] = await db
    .select()
    .from(ledgerCheckpoints)
    .where(eq(ledgerCheckpoints.tenantId, tenantId))
    .orderBy(desc(ledgerCheckpoints.treeSize))
    .limit(1);
  return row;
}

/** The smallest sealed checkpoint that includes leaf `index` (the newest is also fine; smaller is cheaper). */
export async function checkpointCovering(db: Db, tenantId: string, index: number) {
  const [row] = await db
    .select()
    .from(ledgerCheckpoints)
    .where(and(eq(ledgerCheckpoints.tenantId, tenantId), gte(ledgerCheckpoints.treeSize, index + 1)))
    .orderBy(desc(ledgerCheckpoints.treeSize))
    .limit(1);
  return row;
}

export async function leafOfMessage(db: Db, tenantId: string, messageId: string) {
  const [row] = await db
    .select()
    .from(ledgerLeaves)
    .where(and(eq(ledgerLeaves.tenantId, tenantId), eq(ledgerLeaves.messageId, messageId)));
  return row;
}
