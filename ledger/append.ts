// Appends a message's manifest hash to its tenant's log, once. The head row's lock serialises
// appends per tenant, so indexes are dense and never reused; a retry finds its leaf and returns it.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { ledgerHeads, ledgerLeaves } from '../db/schema';

export interface AppendInput {
  tenantId: string;
  messageId: string;
  manifestSha256: string;
  manifestKey: string;
}

export async function appendLeaf(
  db: Db,
  input: AppendInput,
): Promise<{ leafIndex: number; created: boolean }> {
  return db.transaction(async (tx) => {
    const existing = async () => {
      const [row] = await tx
        .select({ leafIndex: ledgerLeaves.leafIndex, manifestSha256: ledgerLeaves.manifestSha256 })
        .from(ledgerLeaves)
        .where(and(eq(ledgerLeaves.messageId, input.messageId), eq(ledgerLeaves.tenantId, input.tenantId)));
      return row;
    };
    const found = await existing();
    if (found) return { leafIndex: found.leafIndex, created: false };
    await tx.insert(ledgerHeads).values({ tenantId: input.tenantId, size: 0 }).onConflictDoNothing();
    // Takes the row lock: a concurrent append for this tenant waits here until we commit.
    const [head] = await tx
      .update(ledgerHeads)
      .set({ size: sql`${ledgerHeads.size} + 1` })
      .where(eq(ledgerHeads.tenantId, input.tenantId))
      .returning({ size: ledgerHeads.size });
    // Re-check under the lock: a concurrent retry of this same message may have just committed.
    const raced = await existing();
    if (raced) throw new Error('concurrent append of the same message; retry');
    const leafIndex = (head as { size: number }).size - 1;
    await tx.insert(ledgerLeaves).values({ ...input, leafIndex });
    return { leafIndex, created: true };
  });
}
