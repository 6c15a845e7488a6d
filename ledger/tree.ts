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
  const flat = await loadLeafHashesFlat(db, tenantId, treeSize);
  return Array.from({ length: treeSize }, (_, i) => flat.subarray(32 * i, 32 * i + 32));
}

const LEAF_PAGE = 10_000;

/**
 * Leaf hashes 0..treeSize-1 as one buffer (32 bytes each), read a page at a time: an export of a
 * large log holds 32 bytes a leaf, not a row object and a Buffer each.
 */
export async function loadLeafHashesFlat(db: Db, tenantId: string, treeSize: number): Promise<Buffer> {
  const out = Buffer.alloc(32 * treeSize);
  for (let start = 0; start < treeSize; start += LEAF_PAGE) {
    const page = await leafHashesBetween(db, tenantId, start, Math.min(treeSize, start + LEAF_PAGE));
    page.forEach((h, k) => {
      h.copy(out, 32 * (start + k));
    });
  }
  return out;
}

/** Leaf hashes from..to-1, in order; a gap is a LedgerInconsistentError, never a short answer. */
export async function leafHashesBetween(
  db: Db,
  tenantId: string,
  from: number,
  to: number,
): Promise<Buffer[]> {
  const rows = await db
    .select({ i: ledgerLeaves.leafIndex, h: ledgerLeaves.manifestSha256 })
    .from(ledgerLeaves)
    .where(
      and(
        eq(ledgerLeaves.tenantId, tenantId),
        gte(ledgerLeaves.leafIndex, from),
        lt(ledgerLeaves.leafIndex, to),
      ),
    )
    .orderBy(asc(ledgerLeaves.leafIndex));
  if (rows.length !== to - from || rows.some((r, k) => r.i !== from + k))
    throw new LedgerInconsistentError(`tenant ${tenantId}: leaves ${from}..${to - 1} are not all present`);
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
