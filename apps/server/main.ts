// The HTTP server as its own process (production, scale-out): ingest + admin API. Needs
// DATABASE_URL and TEMPORAL_ADDRESS; runs migrations on start (idempotent). SERVER_PROCESSES > 1
// runs that many of it on one port (cluster.ts); this file is then the primary and each process.
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { openConfiguredDatabase, requireProductionSettings } from '../runtime';
import { isClusterPrimary, runClusterPrimary } from './cluster';
import { runServer } from './run';

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
  await runServer(config, log, temporalAddress);
}
