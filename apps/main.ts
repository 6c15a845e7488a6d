// Embedded mode, one command: a Temporal dev server as a child process (unless
// TEMPORAL_ADDRESS is set), PGlite in a child process of its own (unless DATABASE_URL is set;
// PGLITE_PROCESS=false keeps it in this one), the worker in a child process too (on the PGlite
// process or DATABASE_URL, unless WORKER_PROCESS=false), the local WORM store, and the HTTP server and relay in
// this process. The children are supervised (restarted if they die) and stop with it. Prints
// where everything is.

import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { type EmbeddedDatabase, socketDirFor, superviseEmbeddedDatabase } from '../db/embedded/database';
import { ensureExportRetentionSchedule } from '../export/retention';
import { startLedgerWorkflows } from '../ledger/start';
import type { Supervised } from '../lib/child-process';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { clientInterceptors } from '../lib/temporal/client-interceptors';
import { type SupervisedDevServer, superviseDevServer } from '../lib/temporal/dev-server';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { installTracing, shutdownTracing } from '../lib/tracing';
import {
  attachmentFetchSettings,
  closeServer,
  listen,
  onShutdown,
  openConfiguredDatabase,
  openServerDeps,
  startMetricsListener,
  temporalMetricsAddress,
} from './runtime';
import { bootstrapDefaultTenant } from './server/bootstrap';
import { standardChecks, supervisedCheck, workerProcessCheck } from './server/http/readiness';
import { createHttpServer } from './server/http/server';
import { superviseWorkerProcess } from './worker/process';
import { createArchiveWorker } from './worker/worker';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
let ready = false;
installTemporalRuntime(log, temporalMetricsAddress(config));
// Before any Temporal client or worker exists: they pick up its interceptors when built.
await installTracing(config, 'webhook-archive');

/** Supervisor events of a child process, logged (restarts at info, deaths at error). */
const events = (component: string) => ({
  onEvent: ({ type, detail }: { type: string; detail: string }) =>
    (type === 'restarted' ? log.info : log.error).call(log, { component, detail }, `${component} ${type}`),
});

let devServer: SupervisedDevServer | undefined;
let temporalAddress = config.TEMPORAL_ADDRESS;
if (!temporalAddress) {
  log.info({ port: config.TEMPORAL_PORT }, 'starting Temporal dev server');
  // Supervised: a dead child is restarted on the same ports and SQLite file; /readyz says so meanwhile.
  devServer = await superviseDevServer(
    {
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      dbFile: path.join(config.DATA_DIR, 'temporal.sqlite'),
      tuned: config.TEMPORAL_DEV_TUNING,
    },
    {
      onEvent: ({ type, detail }) =>
        (type === 'restarted' ? log.info : log.error).call(
          log,
          { component: 'temporal-dev-server', detail },
          `temporal dev server ${type}`,
        ),
    },
  );
  temporalAddress = devServer.address;
}

let embeddedDb: EmbeddedDatabase | undefined;
if (!config.DATABASE_URL && config.PGLITE_PROCESS) {
  // Its own process, so the database gets a core of its own instead of sharing our event loop.
  embeddedDb = await superviseEmbeddedDatabase(
    { pgliteDir: path.join(config.DATA_DIR, 'pglite'), socketDir: socketDirFor(config.DATA_DIR) },
    events('embedded-database'),
  );
}
const database = openConfiguredDatabase(config, embeddedDb?.url);
await database.migrate();
const boot = await bootstrapDefaultTenant(database.db, config.DATA_DIR, config.RETENTION_DAYS);
// On the PGlite process or on DATABASE_URL, the worker runs in a process of its own (WORKER_PROCESS):
// the HTTP server's event loop then only acknowledges and relays. Else it runs here, and the relay starts
// workflows on the worker's own connection, so the server can hand each new run's first
// workflow task straight to this process's worker (eager start).
const workerDatabaseUrl = embeddedDb?.url ?? config.DATABASE_URL;
const workerOutside = workerDatabaseUrl !== undefined && config.WORKER_PROCESS;
let inProcess: { worker: Worker; run: Promise<void>; connection: NativeConnection } | undefined;
let workerProcess: Supervised | undefined;
let serverDeps: Awaited<ReturnType<typeof openServerDeps>>;
if (workerOutside) {
  serverDeps = await openServerDeps(config, log, database, { address: temporalAddress });
  workerProcess = await superviseWorkerProcess(
    { databaseUrl: workerDatabaseUrl!, temporalAddress },
    events('worker-process'),
  );
} else {
  const connection = await NativeConnection.connect({ address: temporalAddress });
  serverDeps = await openServerDeps(config, log, database, {
    sharedWithWorker: new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      interceptors: clientInterceptors(),
    }),
  });
  const worker = await createArchiveWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db: serverDeps.deps.db,
      worm: serverDeps.deps.worm,
      log: log.child({ component: 'worker' }),
      fetch: attachmentFetchSettings(config),
      evidence: serverDeps.deps.evidence,
      exportDir: config.EXPORT_DIR,
    },
    // Eager starts hand workflow tasks to this worker directly; they need free slots to land in.
    maxConcurrentWorkflowTaskExecutions: 200,
  });
  inProcess = { worker, run: worker.run(), connection };
  // evidence: each tenant's log integrator and auditor (idempotent by workflow id); the worker
  // process does this itself.
  const { temporal, db, evidence } = serverDeps.deps;
  await startLedgerWorkflows(temporal, db, config.TEMPORAL_TASK_QUEUE, evidence);
  await ensureExportRetentionSchedule(temporal, config.TEMPORAL_TASK_QUEUE, config.EXPORT_RETENTION_DAYS);
}
const { deps, readiness } = serverDeps;
const standard = (name: string) => standardChecks(deps).find((c) => c.name === name)!;
if (devServer) readiness.add(supervisedCheck(standard('temporal'), devServer, 'embedded dev server'));
if (embeddedDb) readiness.add(supervisedCheck(standard('database'), embeddedDb, 'embedded database process'));
if (workerProcess) readiness.add(workerProcessCheck(workerProcess));

const server = createHttpServer(deps, { isReady: () => ready, readiness });
const port = await listen(server, config.HOST, config.PORT);
const closeMetrics = await startMetricsListener(config, log);
ready = true;

const base = config.PUBLIC_BASE_URL;
const temporalUi = devServer?.uiUrl ?? '(external Temporal: see its own Web UI)';
process.stdout.write(
  [
    '',
    'Webhook archive is running (embedded mode).',
    `  API (ingest):   ${base}/webhooks/incoming/in/<token>`,
    `  Admin UI:       ${base}/   (sign in with the admin key below)`,
    `  Admin API:      ${base}/trpc   (tRPC, plain JSON)`,
    `  Health:         ${base}/healthz (liveness), ${base}/readyz (each component)`,
    `  Temporal Web:   ${temporalUi}`,
    `  Data:           ${config.DATA_DIR}${config.DATABASE_URL ? ' (database: DATABASE_URL)' : embeddedDb ? ' (PGlite in its own process, local WORM store)' : ' (PGlite, local WORM store)'}`,
    ...(embeddedDb
      ? [`  Database:       ${embeddedDb.url}   (psql -h ${embeddedDb.socketDir} -U postgres)`]
      : []),
    `  Admin key:      ${boot.adminKeyFile}${boot.created ? ' (created now)' : ''}`,
    '',
    'Try it:',
    `  scripts/admin endpoints create --name demo --auth hmac`,
    `  curl -s -H "Authorization: Bearer $(cat ${boot.adminKeyFile})" ${base}/trpc/endpoints.list`,
    '',
    `Listening on ${config.HOST}:${port}. Ctrl-C stops everything.`,
    '',
  ].join('\n'),
);

onShutdown(log, async () => {
  ready = false;
  await closeServer(server, config.SHUTDOWN_GRACE_MS);
  await closeMetrics();
  await serverDeps.close(); // the relay stops starting before the worker goes
  await workerProcess?.stop();
  if (inProcess) {
    if (inProcess.worker.getState() === 'RUNNING') inProcess.worker.shutdown();
    await inProcess.run;
    await inProcess.connection.close();
  }
  await database.close();
  await embeddedDb?.stop(); // after our connections are closed: PGlite shuts down cleanly
  await devServer?.stop();
  await shutdownTracing(); // exports the spans still buffered
});
