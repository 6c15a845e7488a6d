// A real stack for one test file: database (PostgreSQL from global setup, or an in-memory
// PGlite), local WORM store in a temp dir, Temporal client + worker on their own task queue,
// and the HTTP server on a free port. Logs are captured so tests can check what was logged.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import {
  attachmentFetchSettings,
  closeServer,
  listen,
  openIngestPipeline,
  openRateLimiter,
  openRequestLog,
} from '../../apps/runtime';
import { createTenantWithKey } from '../../apps/server/bootstrap';
import type { ServerDeps } from '../../apps/server/deps';
import { openReceiptSigner } from '../../apps/server/evidence/receipt';
import { createHttpServer } from '../../apps/server/http/server';
import { createArchiveWorker } from '../../apps/worker/worker';
import { type Database, openDatabase } from '../../db/client';
import { openEvidence } from '../../ledger/deps';
import { loadConfig } from '../../lib/config';
import { randomToken, SecretBox } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import { clientInterceptors } from '../../lib/temporal/client-interceptors';
import { installTemporalRuntime } from '../../lib/temporal/runtime';
import { LocalWormStore } from '../../worm/local-store';
import { withWormMetrics } from '../../worm/metered';
import { testDatabaseUrl } from './database';
import { freePort } from './ports';

export type DbKind = 'postgres' | 'pglite';

export interface StackOptions {
  db?: DbKind;
  worker?: boolean;
  /** Point the stack (server and worker) at another Temporal, e.g. a dead port or its own dev server. */
  temporalAddress?: string;
  temporalNamespace?: string;
  /** Share sealed secrets with another stack on the same database. */
  masterKey?: string;
  env?: Record<string, string>;
  /** The worker's workflow bundle (default: the run's plain one); tracing needs a traced one. */
  workflowBundlePath?: string;
}

export interface Stack {
  baseUrl: string;
  dir: string;
  wormDir: string;
  deps: ServerDeps;
  database: Database;
  taskQueue: string;
  masterKey: string;
  logs: string[];
  worker: Worker | undefined;
  startWorker(): Promise<Worker>;
  stopWorker(): Promise<void>;
  newTenant(name?: string): Promise<{ tenantId: string; adminKey: string }>;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const runDir = inject('runDir');
  const dir = mkdtempSync(path.join(runDir, 'stack-'));
  const taskQueue = `test-${randomUUID()}`;
  const port = await freePort();
  const config = loadConfig({
    DATA_DIR: dir,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'debug',
    // Tests that check 401s send dozens of bad keys from 127.0.0.1; the throttle has its own test.
    ADMIN_AUTH_FAILURE_BURST: '100000',
    ...opts.env,
  });
  const masterKey = opts.masterKey ?? randomToken(32);
  const logs: string[] = [];
  const log = createLogger(
    'debug',
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  );

  installTemporalRuntime(log);
  const database =
    (opts.db ?? 'postgres') === 'postgres'
      ? openDatabase({ url: await testDatabaseUrl(), maxConnections: 20 })
      : openDatabase({});
  if (database.kind === 'pglite') await database.migrate();

  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const connection = opts.temporalAddress
    ? Connection.lazy({ address: temporalAddress, connectTimeout: 1000 })
    : await Connection.connect({ address: temporalAddress });
  const namespace = opts.temporalNamespace ?? inject('temporalNamespace');
  const temporal = new Client({ connection, namespace, interceptors: clientInterceptors() });

  const rateLimit = openRateLimiter(config, log);
  const pipeline = openIngestPipeline(config, log, database, () => temporal);
  const evidence = openEvidence(config);
  const deps: ServerDeps = {
    config,
    db: database.db,
    log,
    secretBox: new SecretBox(masterKey),
    worm: withWormMetrics(new LocalWormStore(path.join(dir, 'worm'))),
    temporal,
    rateLimiter: rateLimit.limiter,
    receipts: pipeline.receipts,
    relay: pipeline.relay,
    backlog: pipeline.backlog,
    requestLog: openRequestLog(config, log, database.db),
    evidence,
    receiptSigner: openReceiptSigner(evidence, config.RECEIPT_SIGNER),
  };
  await pipeline.start();

  const server: Server = createHttpServer(deps);
  await listen(server, '127.0.0.1', port);

  let workerConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;

  const stack: Stack = {
    baseUrl: `http://127.0.0.1:${port}`,
    dir,
    wormDir: path.join(dir, 'worm'),
    deps,
    database,
    taskQueue,
    masterKey,
    logs,
    worker: undefined,
    async startWorker() {
      workerConnection ??= await NativeConnection.connect({ address: temporalAddress });
      worker = await createArchiveWorker({
        connection: workerConnection,
        namespace,
        taskQueue,
        deps: {
          db: database.db,
          worm: deps.worm,
          log,
          fetch: attachmentFetchSettings(config),
          evidence: deps.evidence,
          exportDir: config.EXPORT_DIR,
        },
        workflowBundlePath: opts.workflowBundlePath ?? inject('workflowBundlePath'),
      });
      workerRun = worker.run();
      stack.worker = worker;
      return worker;
    },
    async stopWorker() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      worker = undefined;
      stack.worker = undefined;
    },
    newTenant: (name = `tenant-${randomUUID().slice(0, 8)}`) => createTenantWithKey(database.db, name),
    async close() {
      await stack.stopWorker();
      await workerConnection?.close();
      await closeServer(server, 2000);
      await pipeline.close();
      await deps.requestLog?.close();
      await deps.receiptSigner.close();
      await connection.close();
      await rateLimit.close();
      await database.close();
    },
  };
  if (opts.worker ?? true) await stack.startWorker();
  return stack;
}
