// Queries on ingest receipts, the ack's store of record. The HTTP app inserts them, the relay
// drives them into workflows, the activities read the exact bytes back and close them.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Db, executePrepared, preparedQuery, rowsOf, type Tx } from './client';
import {
  BACKLOG_STATES,
  endpoints,
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

/** A receipt to write, and the endpoint revision its request was checked against. */
export interface GuardedReceipt {
  row: NewIngestReceipt;
  endpointRevision: number;
}

const toBase64 = (b: Buffer | null | undefined) => (b == null ? null : b.toString('base64'));
const toIso = (d: Date | undefined) => (d ?? new Date()).toISOString();

/** One statement for a whole batch; returns the ids that were new. */
export async function insertReceipts(db: Db, rows: GuardedReceipt[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const json = JSON.stringify(
    rows.map(({ row, endpointRevision }) => ({
      id: row.id,
      tenant_id: row.tenantId,
      endpoint_id: row.endpointId,
      external_id: row.externalId,
      raw: toBase64(row.raw),
      claim_check_key: row.claimCheckKey ?? null,
      raw_sha256: row.rawSha256,
      raw_size: row.rawSize,
      payload: toBase64(row.payload),
      request_headers: row.requestHeaders ?? null,
      auth_mode: row.authMode,
      received_at: toIso(row.receivedAt),
      request_id: row.requestId,
      source_ip: row.sourceIp ?? null,
      traceparent: row.traceparent ?? null,
      retention_days: row.retentionDays,
      workflow_id: row.workflowId,
      next_relay_at: toIso(row.nextRelayAt),
      endpoint_revision: endpointRevision,
    })),
  );
  // One statement text for any batch size: the rows travel as one JSON parameter (no per-batch
  // SQL building, prepared once). A row is only inserted while its endpoint's revision is still
  // the one its request was authenticated against: a rotation, disable or delete committed
  // before this statement refuses it on every instance, whatever each had cached.
  const result = await executePrepared(
    db,
    sql`
    insert into ingest_receipts (id, tenant_id, endpoint_id, external_id, raw, claim_check_key,
      raw_sha256, raw_size, payload, request_headers, auth_mode, received_at, request_id,
      source_ip, traceparent, retention_days, workflow_id, next_relay_at)
    select r.id, r.tenant_id, r.endpoint_id, r.external_id, decode(r.raw, 'base64'),
      r.claim_check_key, r.raw_sha256, r.raw_size, decode(r.payload, 'base64'), r.request_headers,
      r.auth_mode, r.received_at, r.request_id, r.source_ip, r.traceparent, r.retention_days, r.workflow_id,
      r.next_relay_at
    from json_to_recordset(${json}::json) as r(id uuid, tenant_id uuid, endpoint_id uuid,
      external_id text, raw text, claim_check_key text, raw_sha256 text, raw_size bigint,
      payload text, request_headers jsonb, auth_mode auth_mode, received_at timestamptz,
      request_id text, source_ip text, traceparent text, retention_days int, workflow_id text,
      next_relay_at timestamptz, endpoint_revision int)
    where exists (
      select 1 from endpoints e where e.id = r.endpoint_id and e.revision = r.endpoint_revision)
    on conflict do nothing
    returning id`,
  );
  return new Set(rowsOf<{ id: string }>(result).map((r) => r.id));
}

/** An existing receipt, with its endpoint's current revision (so a stale check can be told). */
export type ExistingReceipt = ReceiptSummary & { endpointRevision: number };

export async function findReceipts(db: Db, ids: string[]): Promise<Map<string, ExistingReceipt>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ ...receiptSummaryColumns, endpointRevision: endpoints.revision })
    .from(ingestReceipts)
    .innerJoin(endpoints, eq(endpoints.id, ingestReceipts.endpointId))
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
  const query = preparedQuery(db, 'load_receipt', (d) =>
    d
      .select()
      .from(ingestReceipts)
      .where(eq(ingestReceipts.id, sql.placeholder('id')))
      .prepare('load_receipt'),
  );
  const [row] = await query.execute({ id });
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
  traceparent: ingestReceipts.traceparent,
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

type ReceiptOutcome = { state: 'archived' } | { state: 'failed'; error: string };

/** Closes a receipt: the workflow archived it, or failed it for good. */
export async function finishReceipt(db: Db | Tx, id: string, outcome: ReceiptOutcome): Promise<void> {
  await finishReceiptUpdate(db, id, outcome, new Date());
}

/** The UPDATE that closes a receipt still owed work, to run alone or inside a larger statement. */
export function finishReceiptUpdate(db: Db | Tx, id: string, outcome: ReceiptOutcome, at: Date) {
  return db
    .update(ingestReceipts)
    .set({
      state: outcome.state,
      finishedAt: at,
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
