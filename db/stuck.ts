// "Stuck": acknowledged, not archived, not failed, and older than the threshold: a run that keeps
// retrying (an outage, or a bug) instead of finishing. Counted on the ingest receipts, so a
// message whose workflow never got as far as writing its row is stuck too.
import { and, count, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './client';
import { BACKLOG_STATES, ingestReceipts, type ReceiptState } from './schema';

export interface StuckScope {
  tenantId: string;
  endpointId?: string | undefined;
  /** How long after receipt an unfinished message counts as stuck (STUCK_AFTER_MS). */
  olderThanMs: number;
  now?: Date;
}

/** The same definition for one receipt (messages.reprocess: stuck may be restarted, in progress not). */
export function isStuck(
  receipt: { state: ReceiptState; receivedAt: Date },
  olderThanMs: number,
  now = new Date(),
): boolean {
  return (
    (BACKLOG_STATES as readonly ReceiptState[]).includes(receipt.state) &&
    receipt.receivedAt.getTime() < now.getTime() - olderThanMs
  );
}

export async function stuckMessageCount(db: Db | Tx, scope: StuckScope): Promise<number> {
  const cutoff = new Date((scope.now ?? new Date()).getTime() - scope.olderThanMs);
  const where: SQL[] = [
    eq(ingestReceipts.tenantId, scope.tenantId),
    // 'failed' is final and counted on its own; these are the states a run moves on from.
    inArray(ingestReceipts.state, [...BACKLOG_STATES]),
    lt(ingestReceipts.receivedAt, cutoff),
  ];
  if (scope.endpointId) where.push(eq(ingestReceipts.endpointId, scope.endpointId));
  const [row] = await db
    .select({ n: count() })
    .from(ingestReceipts)
    .where(and(...where));
  return Number(row?.n ?? 0);
}
