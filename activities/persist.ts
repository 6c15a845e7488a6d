// The message row: inserted once per (endpoint, external_id), whatever the retries and races.
import { and, eq, ne, sql } from 'drizzle-orm';
import { audit } from '../db/audit';
import { type Db, executePrepared, preparedQuery, rowsOf } from '../db/client';
import { recordConflict } from '../db/conflicts';
import { finishReceipt, finishReceiptUpdate } from '../db/receipts';
import { messages } from '../db/schema';
import { escapeText, toStorable } from '../db/storable-text';
import { type AppendResult, type LeafOutcome, leafCtes, leafOutcome, settleLeaf } from '../ledger/append';
import type { Logger } from '../lib/logger';
import { metrics } from '../lib/metrics';
import type { ParseResult } from '../lib/payload';
import type { EarlierAttachments } from './attachments';
import type { MessageContext } from './message-context';

export type PersistResult =
  | { duplicate: false }
  | { duplicate: true; conflict: boolean; alreadyArchived: boolean };

type Parsed = Extract<ParseResult, { ok: true }>;

export async function persistMessage(
  db: Db,
  log: Logger,
  input: MessageContext,
  { payload, extra }: Parsed,
): Promise<{ result: PersistResult; earlierAttachments: EarlierAttachments }> {
  // What PostgreSQL can't hold as sent is stored losslessly escaped, and the row says which.
  const { attachments: _, ...storable } = toStorable({ ...payload, extra });
  const content = {
    occurredAt: new Date(payload.occurred_at),
    ...storable,
    attachmentCount: payload.attachments.length,
    rawSha256: input.raw.sha256,
    rawSize: input.raw.size,
    requestId: input.requestId,
    sourceIp: input.sourceIp,
    workflowId: input.workflowId,
    status: 'stored' as const,
    error: null,
  };
  const [inserted] = await insertMessage(db, { ...identity(input), ...content });
  if (inserted) {
    // A failed message sent again (or reprocessed) replaces its row, and the rows its earlier run
    // left are ours to settle; a new message has none.
    return { result: { duplicate: false }, earlierAttachments: inserted.replaced ? 'replace' : 'none' };
  }

  const [existing] = await db
    .select({ rawSha256: messages.rawSha256, status: messages.status, requestId: messages.requestId })
    .from(messages)
    .where(and(eq(messages.endpointId, input.endpointId), eq(messages.externalId, input.externalId)));
  if (!existing) throw new Error('message row vanished after a conflicting insert');
  // Our own earlier attempt (a retried activity, a stuck run restarted) is not a duplicate; it may
  // have stopped between replacing a failed row and settling that row's leftover attachments.
  // Once archived, though, the message is settled: a run started again (a reset) changes nothing,
  // since its rows are what its sealed manifest lists.
  if (existing.requestId === input.requestId) {
    if (existing.status === 'archived') {
      return {
        result: { duplicate: true, conflict: false, alreadyArchived: true },
        earlierAttachments: 'reuse',
      };
    }
    return { result: { duplicate: false }, earlierAttachments: 'replace' };
  }
  const conflict = existing.rawSha256 !== input.raw.sha256;
  if (conflict) await recordConflict(db, input, existing.rawSha256, 'worker');
  log.info({ messageId: input.messageId, conflict }, 'duplicate message');
  return {
    result: { duplicate: true, conflict, alreadyArchived: existing.status === 'archived' },
    earlierAttachments: 'reuse',
  };
}

/** A non-retryable failure stays visible: the row, the receipt and the audit log say failed, and why. */
export async function recordFailure(db: Db, input: MessageContext, failure: string): Promise<void> {
  // The reason may quote producer strings: it must be storable, or the failure is lost too.
  const reason = escapeText(failure);
  await db.transaction(async (tx) => {
    await tx
      .insert(messages)
      .values({
        ...identity(input),
        rawSha256: input.raw.sha256,
        rawSize: input.raw.size,
        requestId: input.requestId,
        sourceIp: input.sourceIp,
        workflowId: input.workflowId,
        status: 'failed',
        error: reason,
      })
      .onConflictDoUpdate({
        target: [messages.endpointId, messages.externalId],
        set: { status: 'failed', error: reason, updatedAt: new Date() },
        setWhere: ne(messages.status, 'archived'),
      });
    await finishReceipt(tx, input.messageId, { state: 'failed', error: reason });
    await audit(tx, {
      tenantId: input.tenantId,
      actor: 'worker',
      action: 'message.failed',
      targetType: 'message',
      targetId: input.messageId,
      details: { externalId: input.externalId, reason, requestId: input.requestId },
    });
  });
  metrics.messageFailed();
}

/**
 * The message, its receipt and its ledger leaf in one statement (so one implicit transaction,
 * without BEGIN and COMMIT round trips), prepared: the backlog shrinks exactly when the message is
 * archived, and an archived message always has its leaf in the transparency log.
 */
export async function markArchived(
  db: Db,
  input: MessageContext,
  sealed: { manifestKey: string; manifestSha256: string },
): Promise<AppendResult> {
  const now = new Date();
  const message = db
    .update(messages)
    .set({
      status: 'archived',
      manifestKey: sealed.manifestKey,
      archivedAt: now,
      updatedAt: now,
      error: null,
    })
    .where(and(eq(messages.id, input.messageId), ne(messages.status, 'archived')));
  const receipt = finishReceiptUpdate(db, input.messageId, { state: 'archived' }, now);
  const leaf = { tenantId: input.tenantId, messageId: input.messageId, ...sealed };
  // getSQL(): a builder interpolated as such is parenthesised like a subquery.
  const result = await executePrepared(
    db,
    sql`WITH message AS (${message.getSQL()}), receipt AS (${receipt.getSQL()}), ${leafCtes(leaf)}
    SELECT ${leafOutcome}`,
  );
  const logged = await settleLeaf(db, leaf, rowsOf<LeafOutcome>(result)[0]!);
  metrics.messageArchived();
  return logged;
}

type MessageInsert = typeof messages.$inferInsert;
const IDENTITY_KEYS = new Set(['id', 'tenantId', 'endpointId', 'externalId']);

/**
 * The message row, inserted once: a prepared statement built from the row's own (fixed) keys.
 * The unique (endpoint, external_id) index is the permanent dedup guarantee. A row left 'failed'
 * by an earlier run is the one case that is replaced (all but its identity): the producer sent
 * again. Returns the row when it was inserted or replaced (and which), nothing for a duplicate.
 */
function insertMessage(db: Db, row: MessageInsert): Promise<{ id: string; replaced: boolean }[]> {
  const keys = Object.keys(row) as (keyof MessageInsert)[];
  // One prepared statement per set of columns a row has (its name says which).
  const name = `insert_message(${keys.join()})`;
  const query = preparedQuery(db, name, (d) =>
    d
      .insert(messages)
      .values(Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)])) as unknown as MessageInsert)
      .onConflictDoUpdate({
        target: [messages.endpointId, messages.externalId],
        set: {
          ...Object.fromEntries(
            keys
              .filter((k) => !IDENTITY_KEYS.has(k))
              .map((k) => [k, sql.raw(`excluded."${messages[k].name}"`)]),
          ),
          updatedAt: sql`now()`,
        },
        setWhere: eq(messages.status, 'failed'),
      })
      // xmax is 0 on a row this statement inserted, the updating transaction's id on one it
      // replaced (PostgreSQL's upsert idiom): tells a resend of a failed message from a new one.
      .returning({ id: messages.id, replaced: sql<boolean>`xmax <> 0` })
      .prepare(name),
  );
  return query.execute(row);
}

/** The columns that identify a message and never change once written. */
function identity(input: MessageContext) {
  return {
    id: input.messageId,
    tenantId: input.tenantId,
    endpointId: input.endpointId,
    externalId: input.externalId,
    receivedAt: new Date(input.receivedAt),
  };
}
