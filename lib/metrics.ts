// Prometheus metrics: one registry per process, every name under `webhook_archive_`. Other
// modules record with one-liners (`metrics.ingest(...)`, `metrics.wormPut(...)`); nothing here
// does I/O on the hot path: counters and histograms are in-memory, gauges are computed on scrape.
// The Temporal SDK's own worker metrics are exported by its Rust core on TEMPORAL_METRICS_PORT
// (see lib/temporal/runtime.ts), prefixed `temporal_`.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const METRICS_PREFIX = 'webhook_archive_';
const n = (name: string) => `${METRICS_PREFIX}${name}`;

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });

// Latency buckets from 1 ms to 10 s: an ack is a few ms; a WORM put of a large body, seconds.
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Tallied in a plain map on the ack path and handed to prom-client at scrape: its inc() with
// labels validates and hashes the label object on every call (~0.4 % of an ack's CPU, profiled).
// Keys are (status, code) pairs from our own error table, so the map is small and bounded.
const ingestTally = new Map<string, { status: string; code: string; count: number }>();
new Counter({
  name: n('ingest_requests_total'),
  help: 'Ingest requests answered, by HTTP status and code (accepted/duplicate for 200, else the error code)',
  labelNames: ['status', 'code'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const { status, code, count } of ingestTally.values()) this.inc({ status, code }, count);
  },
});
const ackSeconds = new Histogram({
  name: n('ingest_ack_duration_seconds'),
  help: 'Time from request start to the answer, by status class (2xx, 4xx, 5xx)',
  labelNames: ['status_class'] as const,
  buckets: SECONDS,
  registers: [registry],
});
const workflowsStarted = new Counter({
  name: n('workflows_started_total'),
  help: 'archiveMessage workflow starts that created a run (not duplicates)',
  registers: [registry],
});
const workflowStartDuplicates = new Counter({
  name: n('workflow_start_duplicates_total'),
  help: 'Workflow starts refused because a run with that id exists (a duplicate send or a relay retry)',
  registers: [registry],
});
const messagesArchived = new Counter({
  name: n('messages_archived_total'),
  help: 'Messages marked archived by this worker',
  registers: [registry],
});
const messagesFailed = new Counter({
  name: n('messages_failed_total'),
  help: 'Messages recorded as permanently failed by this worker',
  registers: [registry],
});
const attachmentFetches = new Counter({
  name: n('attachment_fetches_total'),
  help: 'URL attachment fetch attempts, by outcome (stored, retryable, permanent, error)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const wormPutSeconds = new Histogram({
  name: n('worm_put_duration_seconds'),
  help: 'WORM store puts, by store kind and result (created, existing, error)',
  labelNames: ['store', 'result'] as const,
  buckets: SECONDS,
  registers: [registry],
});
const rateLimitDecisions = new Counter({
  name: n('rate_limit_decisions_total'),
  help: 'Rate limiter decisions: admitted (token free), queued (admitted after waiting), rejected (429), aborted (client left)',
  labelNames: ['decision'] as const,
  registers: [registry],
});
const requestLogDropped = new Counter({
  name: n('request_log_dropped_total'),
  help: 'Request log entries dropped (oldest first) because the write buffer was full or the database failed',
  registers: [registry],
});

export type BacklogReading = { count: number; oldestAgeSeconds: number };
let backlogSource: (() => Promise<BacklogReading>) | undefined;
let backlog: BacklogReading = { count: 0, oldestAgeSeconds: 0 };
let reading: Promise<void> | undefined;
// One query per scrape for both gauges: their collect() calls run concurrently and share it.
function readBacklog(): Promise<void> {
  reading ??= (async () => {
    try {
      if (backlogSource) backlog = await backlogSource();
    } catch {
      // A failed reading keeps the last value; /readyz reports the database itself.
    } finally {
      // prom-client calls every collect() synchronously at the start of a scrape, so both
      // gauges already hold this promise; the next scrape reads afresh.
      reading = undefined;
    }
  })();
  return reading;
}
new Gauge({
  name: n('receipt_backlog'),
  help: 'Acknowledged receipts whose workflow has not archived them yet',
  registers: [registry],
  // Every server process reads the same table: a cluster reports the figure once, not summed.
  aggregator: 'max',
  async collect() {
    await readBacklog();
    this.set(backlog.count);
  },
});
new Gauge({
  name: n('receipt_backlog_oldest_age_seconds'),
  help: 'Age of the oldest receipt not yet archived (0 when the backlog is empty)',
  registers: [registry],
  aggregator: 'max',
  async collect() {
    await readBacklog();
    this.set(backlog.oldestAgeSeconds);
  },
});

let enabled = true;
/** METRICS_ENABLED=false: every recording call below becomes a no-op (measuring their cost). */
export function setMetricsEnabled(on: boolean): void {
  enabled = on;
}

const recorders = {
  /** One call per ingest answer, from where the response is sent. */
  ingest(status: number, code: string, startedAtMs: number): void {
    const key = `${status} ${code}`;
    const tally = ingestTally.get(key);
    if (tally) tally.count++;
    else ingestTally.set(key, { status: String(status), code, count: 1 });
    ackSeconds.observe(
      { status_class: `${Math.floor(status / 100)}xx` },
      (performance.now() - startedAtMs) / 1000,
    );
  },
  workflowStarted(created: boolean): void {
    (created ? workflowsStarted : workflowStartDuplicates).inc();
  },
  messageArchived: () => messagesArchived.inc(),
  messageFailed: () => messagesFailed.inc(),
  attachmentFetch: (outcome: 'stored' | 'retryable' | 'permanent' | 'error') =>
    attachmentFetches.inc({ outcome }),
  wormPut(store: string, result: 'created' | 'existing' | 'error', startedAtMs: number): void {
    wormPutSeconds.observe({ store, result }, (performance.now() - startedAtMs) / 1000);
  },
  rateLimit: (decision: 'admitted' | 'queued' | 'rejected' | 'aborted') =>
    rateLimitDecisions.inc({ decision }),
  requestLogDropped: (count = 1) => requestLogDropped.inc(count),
};

type Recorders = typeof recorders;
/** The recorders, each a no-op while metrics are disabled. */
export const metrics = Object.fromEntries(
  Object.entries(recorders).map(([k, f]) => [
    k,
    (...args: unknown[]) => {
      if (enabled) (f as (...a: unknown[]) => void)(...args);
    },
  ]),
) as Recorders;

/**
 * The receipt backlog's source (the lead's ingest_receipts table): called once per scrape.
 * Registering again replaces the source.
 */
export function registerBacklogGauge(source: () => Promise<BacklogReading>): void {
  backlogSource = source;
  reading = undefined;
}

export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
