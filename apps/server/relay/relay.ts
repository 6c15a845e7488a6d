// The relay: every committed receipt becomes a running archiveMessage workflow, exactly once,
// whatever crashes. The ack path hands each new receipt over with `kick` (started at once, off
// the response path); a sweep on start-up and every few seconds claims every receipt that is
// not known to be started, or not archived long after its start, and (re)starts it. Starting is
// idempotent by workflow id, so a start repeated after a crash, by a second instance, or after a
// dev server forgot it, never runs a message twice.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { Db } from '../../../db/client';
import { claimDueReceipts, markReceiptsStarted, type RelayItem } from '../../../db/receipts';
import type { Logger } from '../../../lib/logger';
import { SA_ENDPOINT, SA_EXTERNAL_ID, SA_STATUS, SA_TENANT } from '../../../lib/temporal/search-attributes';
import { tracing } from '../../../lib/tracing';
import type { archiveMessage } from '../../../workflows/archive-message';

export interface RelayOptions {
  db: Db;
  /** The client to start with; throws while there is none yet (a start that failed, retried). */
  temporal: () => Client;
  taskQueue: string;
  log: Logger;
  fetchMaxAttempts: number;
  /** How often the sweep looks for receipts owed a start. */
  sweepIntervalMs: number;
  /** A started receipt not archived this long after is started again (idempotent). */
  recheckMs: number;
  /** Ceiling of the per-receipt backoff while starts keep failing (Temporal down). */
  maxBackoffMs: number;
  /** Workflow starts in flight at once. */
  concurrency: number;
  /** A start slower than this counts as failed (retried by the sweep). */
  startTimeoutMs: number;
  /**
   * Ask the server to hand the first workflow task straight back to a worker on the same
   * connection (embedded mode: the worker runs in this process), skipping task-queue matching.
   */
  eagerStart?: boolean;
}

/** Kicks beyond this many waiting are left to the sweep: memory stays bounded during an outage. */
const MAX_QUEUED_KICKS = 20_000;
const SWEEP_BATCH = 500;

export class Relay {
  /** Kicked receipts, waiting for a start slot. */
  private readonly queue: RelayItem[] = [];
  private active = 0;
  private started: string[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  /** Until this time, kicks are left to the sweep: Temporal just failed a start. */
  private backoffUntil = 0;
  private lastFailureLog = 0;
  readonly stats = { started: 0, failed: 0, swept: 0 };

  constructor(private readonly opts: RelayOptions) {}

  /** A receipt was just committed: start its workflow now, without the producer waiting. */
  kick(item: RelayItem): void {
    if (this.stopped || Date.now() < this.backoffUntil || this.queue.length >= MAX_QUEUED_KICKS) return;
    this.queue.push(item);
    this.pump();
  }

  /** Sweeps once now (start-up recovery), then every sweepIntervalMs. */
  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.opts.sweepIntervalMs);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
    await this.sweeping;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
    await this.flushStarted();
  }

  /** Claims due receipts batch by batch until none is left, starting each. */
  async sweep(): Promise<void> {
    try {
      for (;;) {
        const due = await claimDueReceipts(this.opts.db, SWEEP_BATCH, this.opts.maxBackoffMs);
        if (due.length === 0) break;
        this.stats.swept += due.length;
        // Stopping, or Temporal failing: the rest of the batch stays claimed with its backoff and
        // comes due again, so shutdown is prompt and an outage is not hammered 500 starts a sweep.
        const halted = () => this.stopped || Date.now() < this.backoffUntil;
        await runLimited(due, this.opts.concurrency, (item) => this.startOne(item), halted);
        await this.flushStarted();
        if (due.length < SWEEP_BATCH || halted()) break;
      }
    } catch (err) {
      this.logFailure(err, 'relay sweep failed; retrying at the next interval');
    }
  }

  private pump(): void {
    while (this.active < this.opts.concurrency && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.active++;
      void this.startOne(item).finally(() => {
        this.active--;
        this.pump();
      });
    }
    if (this.active === 0) void this.flushStarted();
  }

  /**
   * An operator's reprocess (messages.reprocess): start the run now under the same workflow id,
   * terminating a run still going (a stuck one). Throws WorkflowExecutionAlreadyStartedError
   * when the last run completed: a completed run is never redone, whatever the database says.
   */
  async restart(item: RelayItem): Promise<void> {
    await startArchiveWorkflow({ ...this.opts, eagerStart: false }, item, { terminateRunning: true });
    this.stats.started++;
  }

  private async startOne(item: RelayItem): Promise<void> {
    try {
      await startArchiveWorkflow(this.opts, item);
      this.started.push(item.id);
      this.stats.started++;
      if (this.started.length >= 256) void this.flushStarted();
    } catch (err) {
      this.stats.failed++;
      this.backoffUntil = Date.now() + 2_000;
      this.logFailure(err, 'workflow start failed; the relay retries it');
    }
  }

  /** Records starts in one statement per batch; a lost record only means one more idempotent start. */
  private flushStarted(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flushStarted());
    if (this.started.length === 0) return Promise.resolve();
    const ids = this.started;
    this.started = [];
    this.flushing = markReceiptsStarted(this.opts.db, ids, this.opts.recheckMs)
      .catch((err) => this.logFailure(err, 'could not record workflow starts; they will be re-checked'))
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private logFailure(err: unknown, msg: string): void {
    // An outage fails every start: one line every few seconds says so without flooding the log.
    const now = Date.now();
    if (now - this.lastFailureLog < 5_000) return;
    this.lastFailureLog = now;
    this.opts.log.warn({ err, stats: this.stats }, msg);
  }
}

/**
 * Starts (or finds running) the workflow of one receipt; a closed run counts as started.
 * `terminateRunning` (reprocess): a running run is terminated and a fresh one started in its
 * place, and a completed one is reported (thrown), not counted as started.
 */
export async function startArchiveWorkflow(
  opts: Pick<RelayOptions, 'temporal' | 'taskQueue' | 'fetchMaxAttempts' | 'startTimeoutMs' | 'eagerStart'>,
  item: RelayItem,
  { terminateRunning = false }: { terminateRunning?: boolean } = {},
): Promise<void> {
  const temporal = opts.temporal();
  // With tracing on, the run joins the trace of the request that acknowledged the receipt
  // (its traceparent is a column: a kick, a sweep after a crash or outage, or a reprocess alike).
  const t = tracing();
  const start = () =>
    temporal.withDeadline(Date.now() + opts.startTimeoutMs, () =>
      temporal.workflow.start<typeof archiveMessage>('archiveMessage', {
        taskQueue: opts.taskQueue,
        workflowId: item.workflowId,
        args: [
          {
            messageId: item.id,
            tenantId: item.tenantId,
            endpointId: item.endpointId,
            externalId: item.externalId,
            workflowId: item.workflowId,
            rawSha256: item.rawSha256,
            fetchMaxAttempts: opts.fetchMaxAttempts,
          },
        ],
        // Running → this start is a no-op (reprocess: the run is terminated and replaced).
        // Closed → refused (so completed, never run twice), unless the run failed (or was
        // terminated): a resend or a reprocess of a failed message is archived afresh.
        workflowIdConflictPolicy: terminateRunning
          ? WorkflowIdConflictPolicy.TERMINATE_EXISTING
          : WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        requestEagerStart: opts.eagerStart ?? false,
        typedSearchAttributes: [
          { key: SA_TENANT, value: item.tenantId },
          { key: SA_ENDPOINT, value: item.endpointId },
          { key: SA_EXTERNAL_ID, value: item.externalId },
          { key: SA_STATUS, value: 'received' },
        ],
      }),
    );
  try {
    await (t ? t.startingWith(item.workflowId, item.traceparent, start) : start());
  } catch (err) {
    if (terminateRunning || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

async function runLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  halted: () => boolean,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !halted()) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
