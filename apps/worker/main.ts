// The worker as its own process (production, scale-out): connects to TEMPORAL_ADDRESS and
// DATABASE_URL. PGlite is single-process, so this entry needs a real PostgreSQL.
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { installTemporalRuntime } from '../../lib/temporal/runtime';
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

const database = openConfiguredDatabase(config);
const connection = await NativeConnection.connect({ address: temporalAddress });
const worker = await createArchiveWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: { db: database.db, worm: await openWormStore(config), log, fetch: attachmentFetchSettings(config) },
});
// A worker has no HTTP server of its own: its /metrics is only on METRICS_PORT.
const closeMetrics = await startMetricsListener(config, log);
onShutdown(log, async () => {
  await closeMetrics();
  if (worker.getState() === 'RUNNING') worker.shutdown();
});
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
await worker.run();
await connection.close();
await database.close();
