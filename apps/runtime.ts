// Building blocks shared by the entry points (embedded all-in-one, server, worker): each opens
// one real dependency from the configuration.
import { once } from 'node:events';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { AttachmentFetchSettings } from '../activities/deps';
import { type Database, type Db, openDatabase } from '../db/client';
import { openEvidence } from '../ledger/deps';
import type { Config } from '../lib/config';
import { SecretBox } from '../lib/crypto';
import type { Logger } from '../lib/logger';
import { resolveMasterKey } from '../lib/master-key';
import { registerBacklogGauge, setMetricsEnabled } from '../lib/metrics';
import { clientInterceptors } from '../lib/temporal/client-interceptors';
import { BackgroundNativeClient } from '../lib/temporal/native-client';
import { LocalWormStore } from '../worm/local-store';
import { withWormMetrics } from '../worm/metered';
import type { WormStore } from '../worm/store';
import type { ServerDeps } from './server/deps';
import { openReceiptSigner, type ReceiptSigner } from './server/evidence/receipt';
import { createMetricsServer } from './server/http/metrics';
import { Readiness, redisCheck, standardChecks } from './server/http/readiness';
import { Backlog } from './server/ingest/backlog';
import { createRateLimiter, type RateLimiter } from './server/ingest/rate-limit';
import { withRateLimitMetrics } from './server/ingest/rate-limit/metered';
import { ReceiptWriter } from './server/ingest/receipt-writer';
import { Relay } from './server/relay/relay';
import { RequestLogWriter } from './server/request-log/writer';

/** `url`: instead of DATABASE_URL, the embedded PGlite process's (apps/main.ts), when it runs one. */
export function openConfiguredDatabase(config: Config, url = config.DATABASE_URL): Database {
  return openDatabase({
    url,
    pgliteDir: path.join(config.DATA_DIR, 'pglite'),
    maxConnections: config.DATABASE_POOL_MAX,
  });
}

/** The S3 store when S3_BUCKET is set (refuses to start without Object Lock), else the local one. */
export async function openWormStore(config: Config): Promise<WormStore> {
  if (!config.S3_BUCKET) return withWormMetrics(new LocalWormStore(config.WORM_DIR));
  // Loaded only when used: the AWS SDK costs ~25 MB of memory in every process that imports it.
  const [{ S3Client }, { S3WormStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../worm/s3-store'),
  ]);
  const client = new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
  return withWormMetrics(
    await S3WormStore.open({
      client,
      bucket: config.S3_BUCKET,
      // Stream bodies are spooled here before upload: on disk, next to the rest of our data.
      tmpDir: path.join(config.DATA_DIR, 's3-spool'),
    }),
  );
}

/** Where the Temporal SDK's core serves its worker metrics, when TEMPORAL_METRICS_PORT is set. */
export function temporalMetricsAddress(config: Config): { metricsBindAddress?: string } {
  if (config.TEMPORAL_METRICS_PORT === undefined) return {};
  return { metricsBindAddress: `${config.METRICS_HOST ?? config.HOST}:${config.TEMPORAL_METRICS_PORT}` };
}

/** The unauthenticated /metrics listener when METRICS_PORT is set; returns its closer. */
export async function startMetricsListener(config: Config, log: Logger): Promise<() => Promise<void>> {
  if (config.METRICS_PORT === undefined) return async () => {};
  const server = createMetricsServer();
  const host = config.METRICS_HOST ?? config.HOST;
  const port = await listen(server, host, config.METRICS_PORT);
  log.info({ host, port }, 'metrics listening (unauthenticated)');
  return () => closeServer(server, 1000);
}

export function openSecretBox(config: Config): SecretBox {
  return new SecretBox(resolveMasterKey(config));
}

/**
 * Connects lazily: the ack no longer needs Temporal, so the server starts (and acknowledges)
 * while Temporal is down, and the relay catches up once it is back.
 */
export function connectTemporalClient(address: string, namespace: string): Client {
  return new Client({
    connection: Connection.lazy({ address }),
    namespace,
    interceptors: clientInterceptors(),
  });
}

export async function listen(server: Server, host: string, port: number): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Runs `stop` once on SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
}

/** Separate server/worker processes need shared services; PGlite and a child dev server are not. */
export function requireProductionSettings(config: Config, role: 'server' | 'worker') {
  const missing = [
    !config.DATABASE_URL && 'DATABASE_URL',
    !config.TEMPORAL_ADDRESS && 'TEMPORAL_ADDRESS',
  ].filter(Boolean);
  if (missing.length > 0) {
    console.error(
      `apps/${role} runs as a separate process and needs ${missing.join(' and ')} ` +
        '(PGlite and the embedded Temporal dev server belong to one process). For a laptop, use scripts/start.',
    );
    process.exit(2);
  }
  return { temporalAddress: config.TEMPORAL_ADDRESS!, databaseUrl: config.DATABASE_URL! };
}

export function attachmentFetchSettings(config: Config): AttachmentFetchSettings {
  return {
    policy: {
      allowPrivateNetworks: config.FETCH_ALLOW_PRIVATE_NETWORKS,
      allowedHosts: config.FETCH_ALLOWED_HOSTS,
    },
    maxBytes: config.ATTACHMENT_MAX_BYTES,
  };
}

/** The ingest rate limiter: shared through Redis when REDIS_URL is set, else in this process. */
export function openRateLimiter(
  config: Config,
  log: Logger,
): { limiter: RateLimiter; redis: Redis | undefined; close(): Promise<void> } {
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        // Fail fast while disconnected: the limiter then decides locally instead of queueing.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        lazyConnect: false,
      })
    : undefined;
  redis?.on('error', () => {}); // the limiter logs its own fallbacks, rate-limited
  const limiter = withRateLimitMetrics(
    createRateLimiter({
      redis,
      log,
      maxQueueDepth: config.RATE_LIMIT_MAX_QUEUE_DEPTH,
      maxWaitMs: config.RATE_LIMIT_MAX_WAIT_MS,
      redisTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    }),
  );
  return {
    limiter,
    redis,
    async close() {
      await limiter.close();
      redis?.disconnect();
    },
  };
}

/**
 * The ack's durable write and what follows it: the group-committing receipt writer, the backlog
 * bound, and the relay that starts every receipt's workflow. `start` begins the relay's sweep
 * (recovering receipts a crash left unstarted) and the backlog's refresh.
 */
export function openIngestPipeline(
  config: Config,
  log: Logger,
  database: Pick<Database, 'db' | 'kind'>,
  relayClient: () => Client,
  opts: { eagerStart?: boolean } = {},
) {
  const { db } = database;
  const receipts = new ReceiptWriter(db, {
    // PGlite runs one statement at a time: one in flight, and everything else batches behind it.
    // (A connection always stays free for everything else the process asks of the database.)
    maxInFlight:
      database.kind === 'pglite'
        ? 1
        : Math.min(config.RECEIPT_WRITES_IN_FLIGHT, config.DATABASE_POOL_MAX - 1),
    maxBatch: config.RECEIPT_BATCH_MAX,
    timeoutMs: config.INGEST_DB_TIMEOUT_MS,
  });
  const backlog = new Backlog(
    db,
    {
      maxMessages: config.BACKLOG_MAX_MESSAGES,
      maxBytes: config.BACKLOG_MAX_BYTES,
      tenantMaxMessages: config.BACKLOG_TENANT_MAX_MESSAGES,
      tenantMaxBytes: config.BACKLOG_TENANT_MAX_BYTES,
    },
    log,
  );
  const relay = new Relay({
    db,
    temporal: relayClient,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log: log.child({ component: 'relay' }),
    fetchMaxAttempts: config.FETCH_MAX_ATTEMPTS,
    sweepIntervalMs: config.RELAY_SWEEP_INTERVAL_MS,
    recheckMs: config.RELAY_RECHECK_MS,
    maxBackoffMs: config.RELAY_MAX_BACKOFF_MS,
    concurrency: config.RELAY_CONCURRENCY,
    startTimeoutMs: 5_000,
    eagerStart: opts.eagerStart ?? false,
  });
  // The backlog gauges (webhook_archive_receipt_backlog*): the figures the bound already refreshes.
  registerBacklogGauge(async () => backlog.reading());
  return {
    receipts,
    backlog,
    relay,
    async start() {
      await backlog.start();
      relay.start();
    },
    async close() {
      await relay.stop();
      await backlog.stop();
    },
  };
}

/** The request log writer, configured from the environment (its timers are unref'd). */
export function openRequestLog(config: Config, log: Logger, db: Db): RequestLogWriter {
  return new RequestLogWriter(db, {
    retentionDays: config.REQUEST_LOG_RETENTION_DAYS,
    maxRows: config.REQUEST_LOG_MAX_ROWS,
    bufferSize: config.REQUEST_LOG_BUFFER,
    onError: (err, what) =>
      log.warn({ err, what }, 'request log write failed; will retry (oldest dropped if it lasts)'),
  });
}

/** Parts of the server's dependencies a measurement may replace (never set in production). */
export interface ServerDepsOverrides {
  receiptSigner?: ReceiptSigner;
}

/** The HTTP server's dependencies, opened from the configuration (embedded and server entries). */
export async function openServerDeps(
  config: Config,
  log: Logger,
  database: Pick<Database, 'db' | 'kind'>,
  temporal: { address: string } | { sharedWithWorker: Client },
  overrides: ServerDepsOverrides = {},
) {
  const rateLimit = openRateLimiter(config, log);
  // Embedded mode hands over a client on the worker's own connection: starts can then be eager.
  const shared = 'sharedWithWorker' in temporal;
  const eagerStart = shared && config.TEMPORAL_EAGER_START;
  const client = shared
    ? temporal.sharedWithWorker
    : connectTemporalClient(temporal.address, config.TEMPORAL_NAMESPACE);
  // The relay starts a workflow per message: on its own native connection when the worker is
  // elsewhere (a third of the event-loop CPU per start; see lib/temporal/native-client.ts).
  const relayClient = shared
    ? undefined
    : new BackgroundNativeClient({
        address: temporal.address,
        namespace: config.TEMPORAL_NAMESPACE,
        interceptors: clientInterceptors(),
        log: log.child({ component: 'relay' }),
      });
  const pipeline = openIngestPipeline(
    config,
    log,
    database,
    relayClient ? () => relayClient.current() : () => client,
    { eagerStart },
  );
  const evidence = openEvidence(config);
  const deps: ServerDeps = {
    config,
    db: database.db,
    log,
    secretBox: openSecretBox(config),
    worm: await openWormStore(config),
    temporal: client,
    rateLimiter: rateLimit.limiter,
    receipts: pipeline.receipts,
    relay: pipeline.relay,
    backlog: pipeline.backlog,
    ...(config.REQUEST_LOG_ENABLED ? { requestLog: openRequestLog(config, log, database.db) } : {}),
    evidence,
    receiptSigner: overrides.receiptSigner ?? openReceiptSigner(evidence, config.RECEIPT_SIGNER),
  };
  setMetricsEnabled(config.METRICS_ENABLED);
  const readiness = new Readiness(standardChecks(deps));
  if (rateLimit.redis) readiness.add(redisCheck(rateLimit.redis));
  await pipeline.start();
  return {
    deps,
    readiness,
    async close() {
      await pipeline.close();
      await deps.requestLog?.close();
      // A connection shared with the worker is the worker's to close.
      if (!shared) await deps.temporal.connection.close();
      await relayClient?.close();
      await rateLimit.close();
      await deps.receiptSigner.close();
    },
  };
}
