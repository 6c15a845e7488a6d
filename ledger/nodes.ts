// The stored perfect subtrees of a tenant's log (ledger_nodes): written by the integrator as they
// complete, read by the proofs (O(log n) rows each, one round trip). Level 0 is the leaf hash,
// derived from ledger_leaves, never stored twice.
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { ledgerLeaves, ledgerNodes } from '../db/schema';
import {
  CompactRange,
  consistencyProof,
  consistencyProofFromNodes,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofFromNodes,
  inclusionProofNodes,
  type NodeId,
  perfectSubtrees,
  verifyInclusion,
} from '../evidence/merkle';
import { latestCheckpoint, leafHashesBetween, leafHashOf, loadLeafHashes } from './tree';

const keyOf = (id: NodeId) => `${id.level}/${id.index}`;

/** The requested nodes, or null if any is not stored (a log older than ledger_nodes). */
export async function fetchNodes(
  db: Db,
  tenantId: string,
  ids: NodeId[],
): Promise<Map<string, Buffer> | null> {
  const out = new Map<string, Buffer>();
  const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
  const inner = ids.filter((id) => id.level > 0);
  const [leafRows, nodeRows] = await Promise.all([
    leaves.length === 0
      ? []
      : db
          .select({ i: ledgerLeaves.leafIndex, h: ledgerLeaves.manifestSha256 })
          .from(ledgerLeaves)
          .where(and(eq(ledgerLeaves.tenantId, tenantId), inArray(ledgerLeaves.leafIndex, leaves))),
    inner.length === 0
      ? []
      : db
          .select({ level: ledgerNodes.level, idx: ledgerNodes.idx, hash: ledgerNodes.hash })
          .from(ledgerNodes)
          .where(
            and(
              eq(ledgerNodes.tenantId, tenantId),
              or(...inner.map((id) => and(eq(ledgerNodes.level, id.level), eq(ledgerNodes.idx, id.index)))),
            ),
          ),
  ]);
  for (const r of leafRows) out.set(`0/${r.i}`, leafHashOf(r.h));
  for (const r of nodeRows) out.set(`${r.level}/${r.idx}`, r.hash);
  return ids.every((id) => out.has(keyOf(id))) ? out : null;
}

/**
 * The root of the first `treeSize` leaves, storing every perfect subtree that completes on the
 * way. Continues from the newest checkpoint's subtrees (reading only the leaves after it); a
 * log without stored nodes (from before ledger_nodes) is rebuilt from all leaves once.
 * Idempotent: nodes never change, so a retry writes nothing new.
 */
export async function extendNodes(db: Db, tenantId: string, treeSize: number): Promise<Buffer> {
  const last = await latestCheckpoint(db, tenantId);
  let from = last && last.treeSize <= treeSize ? last.treeSize : 0;
  let range = new CompactRange();
  if (from > 0) {
    const ids = perfectSubtrees(0, from);
    const nodes = await fetchNodes(db, tenantId, ids);
    if (nodes)
      range = CompactRange.fromPerfectSubtrees(
        from,
        ids.map((id) => nodes.get(keyOf(id)) as Buffer),
      );
    else from = 0;
  }
  const rows: { tenantId: string; level: number; idx: number; hash: Buffer }[] = [];
  for (const h of await leafHashesBetween(db, tenantId, from, treeSize))
    range.append(h, (id, hash) => rows.push({ tenantId, level: id.level, idx: id.index, hash }));
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insert(ledgerNodes)
      .values(rows.slice(i, i + 1000))
      .onConflictDoNothing();
  return range.root();
}

/**
 * RFC 9162 inclusion proof from the stored nodes, checked against the checkpoint's root before
 * it is handed out; from the leaves if a node is missing or does not fit (the audit reports that).
 */
export async function inclusionProofFor(
  db: Db,
  tenantId: string,
  index: number,
  treeSize: number,
  leafHash: Buffer,
  root: Buffer,
): Promise<Buffer[]> {
  const nodes = await fetchNodes(db, tenantId, inclusionProofNodes(index, treeSize));
  if (nodes) {
    const proof = inclusionProofFromNodes(index, treeSize, (id) => nodes.get(keyOf(id)) as Buffer);
    if (verifyInclusion(index, treeSize, leafHash, proof, root)) return proof;
  }
  return inclusionProof(await loadLeafHashes(db, tenantId, treeSize), index, treeSize);
}

/** RFC 9162 consistency proof from the stored nodes, or from the leaves if one is missing. */
export async function consistencyProofFor(db: Db, tenantId: string, from: number, to: number) {
  const nodes = await fetchNodes(db, tenantId, consistencyProofNodes(from, to));
  if (nodes) return consistencyProofFromNodes(from, to, (id) => nodes.get(keyOf(id)) as Buffer);
  return consistencyProof(await loadLeafHashes(db, tenantId, to), from, to);
}

/** Every stored node of a tenant, in the order CompactRange completes them (for the audit). */
export async function storedNodesInOrder(db: Db, tenantId: string) {
  return db
    .select({ level: ledgerNodes.level, idx: ledgerNodes.idx, hash: ledgerNodes.hash })
    .from(ledgerNodes)
    .where(eq(ledgerNodes.tenantId, tenantId))
    .orderBy(sql`(${ledgerNodes.idx} + 1) << ${ledgerNodes.level}`, asc(ledgerNodes.level));
}
