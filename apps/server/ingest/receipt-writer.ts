// Group commit for the ack. Every request waits for its receipt to be durable, but requests that
// arrive while earlier inserts are in flight are written together, in one multi-row
// INSERT … ON CONFLICT DO NOTHING RETURNING: one round trip and one WAL flush for the lot. At low
// load each receipt is written alone, at once (no timer, no added latency); under load the batch
// grows by itself to whatever arrived during the previous round trip.
import type { Db } from '../../../db/client';
import { findReceipts, insertReceipts, type ReceiptSummary } from '../../../db/receipts';
import type { NewIngestReceipt } from '../../../db/schema';
import { withDeadline } from '../../../lib/deadline';

export type WriteResult = { inserted: true } | { inserted: false; existing: ReceiptSummary };

interface Pending {
  row: NewIngestReceipt;
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

  write(row: NewIngestReceipt): Promise<WriteResult> {
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
  private async writeBatch(rows: NewIngestReceipt[]): Promise<WriteResult[]> {
    // Two requests for the same message in one batch: the first is inserted, the second then
    // finds it, exactly as if it had come a moment later.
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    const firstOfId = new Set(unique);
    const inserted = await insertReceipts(this.db, unique);
    const isNew = (row: NewIngestReceipt) => firstOfId.has(row) && inserted.has(row.id);
    const lookups = [...new Set(rows.filter((r) => !isNew(r)).map((r) => r.id))];
    const existing = await findReceipts(this.db, lookups);
    return rows.map((row): WriteResult => {
      if (isNew(row)) return { inserted: true };
      const found = existing.get(row.id);
      // Conflicted but gone again: cannot happen while receipts are never deleted.
      if (!found) throw new Error(`receipt ${row.id} conflicted but was not found`);
      return { inserted: false, existing: found };
    });
  }
}

function settle(batch: Pending[], results: WriteResult[]): void {
  for (const [i, p] of batch.entries()) p.resolve(results[i]!);
}
