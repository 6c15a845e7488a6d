// The embedded mode's worker as a child process (apps/main.ts with the PGlite process): the
// worker entry (apps/worker/main.ts) forked with the embedded database's socket URL and the dev
// server's address, so archiving runs on an event loop of its own instead of the HTTP server's.
// Its own process group: a terminal's Ctrl-C reaches only the main process, which stops it in
// order (after the HTTP server, before the database); it stops by itself if the main process dies.
import type { ChildProcess } from 'node:child_process';
import {
  appEntry,
  forkReady,
  type Supervised,
  type SupervisorOptions,
  supervise,
} from '../../lib/child-process';

export interface WorkerProcessOptions {
  databaseUrl: string;
  temporalAddress: string;
}

function launch(opts: WorkerProcessOptions): Promise<ChildProcess> {
  return forkReady(appEntry('apps/worker/main.ts', 'worker.js'), 'worker process', {
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      // The main process serves the metrics port; the worker's own metrics stay in its core.
      METRICS_PORT: '',
      OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? 'webhook-archive-worker',
    },
    detached: true,
  });
}

export function superviseWorkerProcess(
  opts: WorkerProcessOptions,
  sup: SupervisorOptions = {},
): Promise<Supervised> {
  return supervise(() => launch(opts), sup);
}
