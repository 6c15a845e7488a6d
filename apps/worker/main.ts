// The worker as its own process (production, scale-out): connects to TEMPORAL_ADDRESS and
// DATABASE_URL (PostgreSQL, or the embedded PGlite process's socket URL). apps/main.ts also forks
// it (apps/worker/process.ts): then it says 'ready' over IPC and stops if that parent goes away.

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureExportRetentionSchedule } from '../../export/retention';
import { openEvidence } from '../../ledger/deps';
import { startLedgerWorkflows } from '../../ledger/start';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { installTemporalRuntime } from '../../lib/temporal/runtime';
import { installTracing, shutdownTracing } from '../../lib/tracing';
import {
  attachmentFetchSettings,
  onShutdown,
  openConfiguredDatabase,
  openWormStore,
  requireProductionSettings,
  startMetricsListener,
  temporalMetricsAddress,
} from '../runtime';
import { createArchiveWorker } from './worker';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL).child({ component: 'worker' });
installTemporalRuntime(log, temporalMetricsAddress(config));
const { temporalAddress } = requireProductionSettings(config, 'worker');

await installTracing(config, 'webhook-archive-worker'); // before the worker and client are built
const database = openConfiguredDatabase(config);
const connection = await NativeConnection.connect({ address: temporalAddress });
const evidence = openEvidence(config);
const worker = await createArchiveWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: {
    db: database.db,
    worm: await openWormStore(config),
    log,
    fetch: attachmentFetchSettings(config),
    evidence,
    exportDir: config.EXPORT_DIR,
  },
});
// A worker has no HTTP server of its own: its /metrics is only on METRICS_PORT.
const closeMetrics = await startMetricsListener(config, log);
// evidence: each tenant's log integrator and auditor (idempotent by workflow id).
const client = new Client({
  connection: await Connection.connect({ address: temporalAddress }),
  namespace: config.TEMPORAL_NAMESPACE,
});
await startLedgerWorkflows(client, database.db, config.TEMPORAL_TASK_QUEUE, evidence);
await ensureExportRetentionSchedule(client, config.TEMPORAL_TASK_QUEUE, config.EXPORT_RETENTION_DAYS);
onShutdown(log, async () => {
  await closeMetrics();
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await shutdownTracing(); // exports the spans still buffered
});
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
if (process.send) {
  process.send('ready');
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM')); // the parent died
}
await worker.run();
await client.connection.close();
await connection.close();
await database.close();
await shutdownTracing();
