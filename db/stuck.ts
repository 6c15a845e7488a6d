// "Stuck": acknowledged, not archived, not failed, and older than the threshold: a run that keeps
// retrying (an outage, or a bug) instead of finishing. One home for the definition, so the ingest
// receipts can feed it later (a receipt without a message row is stuck too).
import { and, count, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './client';
import { messages } from './schema';

export interface StuckScope {
  tenantId: string;
  endpointId?: string | undefined;
  /** How long after receipt an unfinished message counts as stuck (STUCK_AFTER_MS). */
  olderThanMs: number;
  now?: Date;
}

export async function stuckMessageCount(db: Db | Tx, scope: StuckScope): Promise<number> {
  const cutoff = new Date((scope.now ?? new Date()).getTime() - scope.olderThanMs);
  const where: SQL[] = [
    eq(messages.tenantId, scope.tenantId),
    // 'failed' is final and counted on its own; these are the states a run moves on from.
    inArray(messages.status, ['received', 'stored']),
    lt(messages.receivedAt, cutoff),
  ];
  if (scope.endpointId) where.push(eq(messages.endpointId, scope.endpointId));
  const [row] = await db
    .select({ n: count() })
    .from(messages)
    .where(and(...where));
  return Number(row?.n ?? 0);
}
