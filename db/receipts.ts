// Queries on ingest receipts, the ack's store of record. The HTTP app inserts them, the relay
// drives them into workflows, the activities read the exact bytes back and close them.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from './client';
import {
  BACKLOG_STATES,
  type IngestReceipt,
  ingestReceipts,
  type NewIngestReceipt,
  type ReceiptState,
} from './schema';

/** What the ack needs back about a receipt: enough to answer, sign, and audit a conflict. */
export const receiptSummaryColumns = {
  id: ingestReceipts.id,
  state: ingestReceipts.state,
  rawSha256: ingestReceipts.rawSha256,
  receivedAt: ingestReceipts.receivedAt,
  requestId: ingestReceipts.requestId,
};
export type ReceiptSummary = Pick<IngestReceipt, keyof typeof receiptSummaryColumns>;

/** One statement for a whole batch; returns the ids that were new. */
export async function insertReceipts(db: Db, rows: NewIngestReceipt[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db
    .insert(ingestReceipts)
    .values(rows)
    .onConflictDoNothing()
    .returning({ id: ingestReceipts.id });
  return new Set(inserted.map((r) => r.id));
}

export async function findReceipts(db: Db, ids: string[]): Promise<Map<string, ReceiptSummary>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select(receiptSummaryColumns)
    .from(ingestReceipts)
    .where(inArray(ingestReceipts.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * A producer's resend of a message whose archiving failed for good replaces the failed receipt
 * and is archived afresh. Only a row still 'failed' is replaced, so two racing resends yield
 * one accepted and one duplicate.
 */
export async function replaceFailedReceipt(db: Db, row: NewIngestReceipt): Promise<boolean> {
  const { id, ...fresh } = row;
  const replaced = await db
    .update(ingestReceipts)
    .set({ ...fresh, state: 'pending', relayAttempts: 0, startedAt: null, finishedAt: null, error: null })
    .where(and(eq(ingestReceipts.id, id), eq(ingestReceipts.state, 'failed')))
    .returning({ id: ingestReceipts.id });
  return replaced.length > 0;
}

/** The whole receipt, exact bytes included (the activities' view). */
export async function loadReceipt(db: Db, id: string): Promise<IngestReceipt | undefined> {
  const [row] = await db.select().from(ingestReceipts).where(eq(ingestReceipts.id, id));
  return row;
}

/** The relay started these workflows (or found them running): look again after `recheckMs`. */
export async function markReceiptsStarted(db: Db, ids: string[], recheckMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(ingestReceipts)
    .set({
      state: sql`case when ${ingestReceipts.state} = 'pending' then 'started'::receipt_state else ${ingestReceipts.state} end`,
      startedAt: sql`coalesce(${ingestReceipts.startedAt}, now())`,
      nextRelayAt: sql`now() + ${`${recheckMs} milliseconds`}::interval`,
    })
    .where(and(inArray(ingestReceipts.id, ids), inArray(ingestReceipts.state, [...BACKLOG_STATES])));
}

/** The fields the relay needs to (re)start a receipt's workflow. */
export const relayColumns = {
  id: ingestReceipts.id,
  tenantId: ingestReceipts.tenantId,
  endpointId: ingestReceipts.endpointId,
  externalId: ingestReceipts.externalId,
  workflowId: ingestReceipts.workflowId,
  rawSha256: ingestReceipts.rawSha256,
};
export type RelayItem = Pick<IngestReceipt, keyof typeof relayColumns>;

/**
 * Claims up to `limit` receipts that are due (never started, or not archived long after their
 * start) and pushes their next look back with exponential backoff, in one statement. SKIP
 * LOCKED lets several server instances sweep at once without taking the same rows.
 */
export async function claimDueReceipts(db: Db, limit: number, maxBackoffMs: number): Promise<RelayItem[]> {
  const due = db
    .select({ id: ingestReceipts.id })
    .from(ingestReceipts)
    .where(
      and(inArray(ingestReceipts.state, [...BACKLOG_STATES]), sql`${ingestReceipts.nextRelayAt} <= now()`),
    )
    .orderBy(ingestReceipts.nextRelayAt)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(ingestReceipts)
    .set({
      relayAttempts: sql`${ingestReceipts.relayAttempts} + 1`,
      nextRelayAt: sql`now() + least(${maxBackoffMs}::float8, 1000 * power(2, least(${ingestReceipts.relayAttempts}, 20))) * interval '1 millisecond'`,
    })
    .where(inArray(ingestReceipts.id, due))
    .returning(relayColumns);
}

/** Closes a receipt: the workflow archived it, or failed it for good. */
export async function finishReceipt(
  db: Db | Tx,
  id: string,
  outcome: { state: 'archived' } | { state: 'failed'; error: string },
): Promise<void> {
  await db
    .update(ingestReceipts)
    .set({
      state: outcome.state,
      finishedAt: new Date(),
      error: outcome.state === 'failed' ? outcome.error : null,
    })
    .where(and(eq(ingestReceipts.id, id), inArray(ingestReceipts.state, [...BACKLOG_STATES])));
}

export interface BacklogRow {
  tenantId: string;
  messages: number;
  bytes: number;
  oldestReceivedAt: Date | null;
}

/** Receipts still owed work, per tenant: the backlog the ack bound and the dashboards read. */
export async function backlogByTenant(db: Db, tenantId?: string, endpointId?: string): Promise<BacklogRow[]> {
  const where = [inArray(ingestReceipts.state, [...BACKLOG_STATES])];
  if (tenantId) where.push(eq(ingestReceipts.tenantId, tenantId));
  if (endpointId) where.push(eq(ingestReceipts.endpointId, endpointId));
  const rows = await db
    .select({
      tenantId: ingestReceipts.tenantId,
      messages: sql<string>`count(*)`,
      bytes: sql<string>`coalesce(sum(${ingestReceipts.rawSize}), 0)`,
      oldest: sql<string | Date | null>`min(${ingestReceipts.receivedAt})`,
    })
    .from(ingestReceipts)
    .where(and(...where))
    .groupBy(ingestReceipts.tenantId);
  return rows.map((r) => ({
    tenantId: r.tenantId,
    messages: Number(r.messages),
    bytes: Number(r.bytes),
    oldestReceivedAt: r.oldest === null ? null : new Date(r.oldest),
  }));
}

/** What a reprocess decides on: the receipt of one of the tenant's messages, without the bytes. */
export async function findTenantReceipt(db: Db, tenantId: string, id: string) {
  const [row] = await db
    .select({
      ...relayColumns,
      state: ingestReceipts.state,
      receivedAt: ingestReceipts.receivedAt,
      error: ingestReceipts.error,
      finishedAt: ingestReceipts.finishedAt,
    })
    .from(ingestReceipts)
    .where(and(eq(ingestReceipts.id, id), eq(ingestReceipts.tenantId, tenantId)));
  return row;
}

/**
 * An operator reprocesses a failed or stuck message: its receipt is owed work again ('started',
 * re-checked by the relay after `recheckMs`, like any start), before the workflow starts, so the
 * run can close it. Only from the state the caller saw: a concurrent reprocess or resend wins.
 */
export async function reopenReceipt(
  db: Db | Tx,
  id: string,
  seen: ReceiptState,
  recheckMs: number,
): Promise<boolean> {
  const reopened = await db
    .update(ingestReceipts)
    .set({
      state: 'started',
      error: null,
      finishedAt: null,
      relayAttempts: 0,
      startedAt: sql`now()`,
      nextRelayAt: sql`now() + ${`${recheckMs} milliseconds`}::interval`,
    })
    .where(and(eq(ingestReceipts.id, id), eq(ingestReceipts.state, seen)))
    .returning({ id: ingestReceipts.id });
  return reopened.length > 0;
}

/** The start could not be made now (Temporal down): the relay's next sweep takes the receipt. */
export async function dueForRelayNow(db: Db, id: string): Promise<void> {
  await db
    .update(ingestReceipts)
    .set({ nextRelayAt: sql`now()` })
    .where(and(eq(ingestReceipts.id, id), inArray(ingestReceipts.state, [...BACKLOG_STATES])));
}

/** Undoes reopenReceipt when Temporal says the run had in fact completed: nothing to redo. */
export async function restoreReceipt(
  db: Db,
  id: string,
  previous: Pick<IngestReceipt, 'state' | 'error' | 'finishedAt'>,
): Promise<void> {
  await db
    .update(ingestReceipts)
    .set({ state: previous.state, error: previous.error, finishedAt: previous.finishedAt })
    .where(and(eq(ingestReceipts.id, id), eq(ingestReceipts.state, 'started')));
}
