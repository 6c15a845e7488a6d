// The HTTP server as its own process (production, scale-out): ingest + admin API. Needs
// DATABASE_URL and TEMPORAL_ADDRESS; runs migrations on start (idempotent). SERVER_PROCESSES > 1
// runs that many of it on one port (cluster.ts); this file is then the primary and each process.
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { installTracing, shutdownTracing } from '../../lib/tracing';
import {
  closeServer,
  listen,
  onShutdown,
  openConfiguredDatabase,
  openServerDeps,
  requireProductionSettings,
  startMetricsListener,
} from '../runtime';
import { isClusterPrimary, joinClusterMetrics, runClusterPrimary } from './cluster';
import { createHttpServer } from './http/server';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL).child({ component: 'server' });
const { temporalAddress } = requireProductionSettings(config, 'server');

if (isClusterPrimary(config)) {
  await runClusterPrimary(config, log.child({ role: 'primary' }), async () => {
    const database = openConfiguredDatabase(config);
    await database.migrate();
    await database.close();
  });
} else {
  await runServer();
}

async function runServer() {
  joinClusterMetrics();
  await installTracing(config, 'webhook-archive-server'); // before the Temporal client is built
  const database = openConfiguredDatabase(config);
  await database.migrate();
  const serverDeps = await openServerDeps(config, log, database, { address: temporalAddress });
  const { deps } = serverDeps;
  const server = createHttpServer(deps, { readiness: serverDeps.readiness });
  const port = await listen(server, config.HOST, config.PORT);
  const closeMetrics = await startMetricsListener(config, log);
  log.info({ host: config.HOST, port, publicBaseUrl: config.PUBLIC_BASE_URL }, 'server listening');
  onShutdown(log, async () => {
    await closeServer(server, config.SHUTDOWN_GRACE_MS);
    await closeMetrics();
    await serverDeps.close();
    await database.close();
    await shutdownTracing();
  });
}
