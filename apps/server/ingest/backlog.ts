// The bound on what has been acknowledged but not yet archived. Acks run at database speed and
// archiving at Temporal's, so a sustained excess would otherwise grow without limit; beyond the
// bound the ack answers 503 with Retry-After (the producer retries, nothing is lost).
//
// The figures come from the receipts table, re-read every `refreshMs` (one aggregate over a
// partial index), plus what this process accepted since: so the bound holds across server
// instances to within one refresh interval of their combined traffic. The aggregate reads every
// receipt still owed work, so it costs most when the backlog is largest (overload, an archiving
// outage): the interval then stretches to keep it at a small, fixed share of the database's time
// (`refreshDelayMs`). Between refreshes the figures only grow (this process's accepts), so the
// bound errs on the side of refusing.
import type { Db } from '../../../db/client';
import { backlogByTenant } from '../../../db/receipts';
import type { Logger } from '../../../lib/logger';
import { HttpError } from '../http/respond';

export interface BacklogLimits {
  maxMessages: number;
  maxBytes: number;
  tenantMaxMessages: number;
  tenantMaxBytes: number;
}

interface Figures {
  messages: number;
  bytes: number;
}

export class Backlog {
  private total: Figures = { messages: 0, bytes: 0 };
  private perTenant = new Map<string, Figures>();
  private oldestReceivedAt: Date | null = null;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly limits: BacklogLimits,
    private readonly log: Logger,
    private readonly refreshMs = 500,
  ) {}

  async start(): Promise<void> {
    let took = await this.refresh();
    const loop = () => {
      this.timer = setTimeout(
        () => {
          this.refreshing = this.refresh()
            .then((ms) => {
              took = ms;
            })
            .finally(loop);
        },
        refreshDelayMs(this.refreshMs, took),
      );
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Throws 503 `backlog_full` when one more message of `bytes` would pass a bound. */
  check(tenantId: string, bytes: number): void {
    const tenant = this.perTenant.get(tenantId) ?? { messages: 0, bytes: 0 };
    const l = this.limits;
    const full =
      this.total.messages + 1 > l.maxMessages ||
      this.total.bytes + bytes > l.maxBytes ||
      tenant.messages + 1 > l.tenantMaxMessages ||
      tenant.bytes + bytes > l.tenantMaxBytes;
    if (full) {
      throw new HttpError(
        'backlog_full',
        'the archive is catching up with acknowledged messages; retry later',
        { 'retry-after': '5' },
      );
    }
  }

  /** The whole backlog as of the last refresh (the metrics gauges read this, not the table). */
  reading(now = Date.now()): { count: number; oldestAgeSeconds: number } {
    const oldest = this.oldestReceivedAt?.getTime();
    return {
      count: this.total.messages,
      oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
    };
  }

  /** Counts a message accepted by this process until the next refresh sees its receipt. */
  noteAccepted(tenantId: string, bytes: number): void {
    add(this.total, bytes);
    const tenant = this.perTenant.get(tenantId) ?? { messages: 0, bytes: 0 };
    add(tenant, bytes);
    this.perTenant.set(tenantId, tenant);
  }

  /** Re-reads the figures; returns how long the aggregate took (ms). */
  private async refresh(): Promise<number> {
    const started = performance.now();
    try {
      const rows = await backlogByTenant(this.db);
      const perTenant = new Map<string, Figures>();
      const total = { messages: 0, bytes: 0 };
      let oldest: Date | null = null;
      for (const r of rows) {
        perTenant.set(r.tenantId, { messages: r.messages, bytes: r.bytes });
        total.messages += r.messages;
        total.bytes += r.bytes;
        if (r.oldestReceivedAt && (!oldest || r.oldestReceivedAt < oldest)) oldest = r.oldestReceivedAt;
      }
      this.perTenant = perTenant;
      this.total = total;
      this.oldestReceivedAt = oldest;
    } catch (err) {
      // Keep the last figures: the database being down already fails the acks themselves.
      this.log.debug({ err }, 'backlog refresh failed');
    }
    return performance.now() - started;
  }
}

/** At most this share of the time goes to the aggregate (one query at a time, per instance). */
const REFRESH_DUTY = 0.05;
const MAX_REFRESH_MS = 10_000;

/**
 * The wait before the next refresh: `baseMs`, or longer when the last aggregate took more than
 * REFRESH_DUTY of that (e.g. 40 ms at a 200,000-message backlog → 800 ms), at most 10 s.
 */
export function refreshDelayMs(baseMs: number, lastTookMs: number): number {
  return Math.min(MAX_REFRESH_MS, Math.max(baseMs, lastTookMs / REFRESH_DUTY));
}

function add(f: Figures, bytes: number): void {
  f.messages += 1;
  f.bytes += bytes;
}
