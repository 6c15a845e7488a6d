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
import { LocalWormStore } from '../worm/local-store';
import type { WormStore } from '../worm/store';
import type { ServerDeps } from './server/deps';
import { createRateLimiter, type RateLimiter } from './server/ingest/rate-limit';

export function openConfiguredDatabase(config: Config): Database {
  return openDatabase({ url: config.DATABASE_URL, pgliteDir: path.join(config.DATA_DIR, 'pglite') });
}

/** The S3 store when S3_BUCKET is set (refuses to start without Object Lock), else the local one. */
export async function openWormStore(config: Config): Promise<WormStore> {
  if (!config.S3_BUCKET) return new LocalWormStore(config.WORM_DIR);
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
  return await S3WormStore.open({
    client,
    bucket: config.S3_BUCKET,
    // Stream bodies are spooled here before upload: on disk, next to the rest of our data.
    tmpDir: path.join(config.DATA_DIR, 's3-spool'),
  });
}

export function openSecretBox(config: Config): SecretBox {
  return new SecretBox(resolveMasterKey(config));
}

export async function connectTemporalClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
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
): { limiter: RateLimiter; close(): Promise<void> } {
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        // Fail fast while disconnected: the limiter then decides locally instead of queueing.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        lazyConnect: false,
      })
    : undefined;
  redis?.on('error', () => {}); // the limiter logs its own fallbacks, rate-limited
  const limiter = createRateLimiter({
    redis,
    log,
    maxQueueDepth: config.RATE_LIMIT_MAX_QUEUE_DEPTH,
    maxWaitMs: config.RATE_LIMIT_MAX_WAIT_MS,
    redisTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
  });
  return {
    limiter,
    async close() {
      await limiter.close();
      redis?.disconnect();
    },
  };
}

/** The HTTP server's dependencies, opened from the configuration (embedded and server entries). */
export async function openServerDeps(config: Config, log: Logger, db: Db, temporalAddress: string) {
  const rateLimit = openRateLimiter(config, log);
  const deps: ServerDeps = {
    config,
    db,
    log,
    secretBox: openSecretBox(config),
    worm: await openWormStore(config),
    temporal: await connectTemporalClient(temporalAddress, config.TEMPORAL_NAMESPACE),
    rateLimiter: rateLimit.limiter,
    evidence: openEvidence(config),
  };
  return {
    deps,
    async close() {
      await deps.temporal.connection.close();
      await rateLimit.close();
    },
  };
}
