// Group commit for the ack. Every request waits for its receipt to be durable, but requests that
// arrive while earlier inserts are in flight are written together, in one multi-row
// INSERT … ON CONFLICT DO NOTHING RETURNING: one round trip and one WAL flush for the lot. At low
// load each receipt is written alone, at once (no timer, no added latency); under load the batch
// grows by itself to whatever arrived during the previous round trip.
//
// Each receipt carries the endpoint revision its request was checked against; if the endpoint
// changed since (rotated, disabled, deleted), the write answers `stale` and writes nothing, and
// the request is checked again against the endpoint as it is now.
import type { Db } from '../../../db/client';
import { findReceipts, type GuardedReceipt, insertReceipts, type ReceiptSummary } from '../../../db/receipts';
import { withDeadline } from '../../../lib/deadline';

export type WriteResult =
  | { inserted: true }
  | { inserted: false; existing: ReceiptSummary }
  | { inserted: false; stale: true };

interface Pending {
  row: GuardedReceipt;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

export interface ReceiptWriterOptions {
  /** Statements in flight at once (PostgreSQL: a few connections; PGlite: one). */
  maxInFlight: number;
  /** Rows per statement, at most. */
  maxBatch: number;
  /**
   * How long a request waits for its receipt (queue + insert) before it is answered 503. While
   * the database is down or reconnecting, queries queue in the driver without a deadline of
   * their own; a receipt committed after its request gave up is the retry's `duplicate`.
   */
  timeoutMs?: number;
}

export class ReceiptWriter {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: ReceiptWriterOptions,
  ) {}

  write(row: GuardedReceipt): Promise<WriteResult> {
    const written = new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.pump();
    });
    return this.opts.timeoutMs ? withDeadline(written, this.opts.timeoutMs, 'the receipt insert') : written;
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      settle(batch, await this.writeBatch(batch.map((p) => p.row)));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One bad row must not fail its neighbours: retry each alone, each with its own answer.
      await Promise.all(
        batch.map(async (p) => {
          try {
            settle([p], await this.writeBatch([p.row]));
          } catch (e) {
            p.reject(e);
          }
        }),
      );
    }
  }

  /** Results in the order of `rows`. */
  private async writeBatch(rows: GuardedReceipt[]): Promise<WriteResult[]> {
    // Two requests for the same message in one batch: the first is inserted, the second then
    // finds it, exactly as if it had come a moment later.
    const unique = [...new Map(rows.map((r) => [r.row.id, r])).values()];
    const firstOfId = new Set(unique);
    const inserted = await insertReceipts(this.db, unique);
    const isNew = (r: GuardedReceipt) => firstOfId.has(r) && inserted.has(r.row.id);
    const lookups = [...new Set(rows.filter((r) => !isNew(r)).map((r) => r.row.id))];
    const existing = await findReceipts(this.db, lookups);
    return rows.map((r): WriteResult => {
      if (isNew(r)) return { inserted: true };
      const found = existing.get(r.row.id);
      // Not inserted and not there: the endpoint guard refused it. Found, but the endpoint has
      // changed since the request was checked: a duplicate must be checked again too.
      if (!found || found.endpointRevision !== r.endpointRevision) return { inserted: false, stale: true };
      const { endpointRevision: _, ...summary } = found;
      return { inserted: false, existing: summary };
    });
  }
}

function settle(batch: Pending[], results: WriteResult[]): void {
  for (const [i, p] of batch.entries()) p.resolve(results[i]!);
}
