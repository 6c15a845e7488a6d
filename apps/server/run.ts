// One server process: the HTTP ingest and admin API on its port, until SIGINT/SIGTERM. The entry
// (main.ts) runs it with the configured dependencies; `overrides` exist for measurements that
// must change one part of the real path and nothing else (scripts/bench/unsigned-server.ts).
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { installTracing, shutdownTracing } from '../../lib/tracing';
import {
  closeServer,
  listen,
  onShutdown,
  openConfiguredDatabase,
  openServerDeps,
  type ServerDepsOverrides,
  startMetricsListener,
} from '../runtime';
import { joinClusterMetrics } from './cluster';
import { createHttpServer } from './http/server';

export async function runServer(
  config: Config,
  log: Logger,
  temporalAddress: string,
  overrides: ServerDepsOverrides = {},
): Promise<void> {
  joinClusterMetrics();
  await installTracing(config, 'webhook-archive-server'); // before the Temporal client is built
  const database = openConfiguredDatabase(config);
  await database.migrate();
  const serverDeps = await openServerDeps(config, log, database, { address: temporalAddress }, overrides);
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
