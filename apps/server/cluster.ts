// SERVER_PROCESSES > 1: the HTTP server as a node:cluster of processes sharing one port, so the
// ack path (one event loop each) uses every core. The primary serves no requests: it runs the
// migrations once, forks the processes, restarts one that dies, stops them all on a signal, and
// answers /metrics for the whole group (prom-client's AggregatorRegistry). Everything shared
// between processes already lives outside them, as between separate instances: receipts and the
// relay's claims in PostgreSQL, the endpoint cache's revision guard, the rate limit in Redis.
// Per-address budgets kept in memory (admin-key failures, anonymous uploads) are divided among
// the processes, so a guesser gets no more than the configured total.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { registry } from '../../lib/metrics';
import { closeServer, listen } from '../runtime';
import { createMetricsServer } from './http/metrics';

const METRICS_REQUEST = 'webhook-archive:cluster-metrics';
const METRICS_REPLY = 'webhook-archive:cluster-metrics-reply';
/** More deaths than this within the window: something is wrong with every process, give up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export function isClusterPrimary(config: Config): boolean {
  return config.SERVER_PROCESSES > 1 && cluster.isPrimary;
}

/** In a cluster process: this process's share of the per-address budgets, set by the primary. */
function workerEnv(config: Config, index: number): Record<string, string> {
  const n = config.SERVER_PROCESSES;
  return {
    SERVER_PROCESS_INDEX: String(index),
    ADMIN_AUTH_FAILURE_BURST: String(Math.max(1, Math.floor(config.ADMIN_AUTH_FAILURE_BURST / n))),
    ADMIN_AUTH_FAILURES_PER_MINUTE: String(Math.max(0.1, config.ADMIN_AUTH_FAILURES_PER_MINUTE / n)),
    UNAUTHENTICATED_UPLOADS_PER_IP: String(
      Math.max(1, Math.floor(config.UNAUTHENTICATED_UPLOADS_PER_IP / n)),
    ),
    // The primary serves METRICS_PORT for the group.
    METRICS_PORT: '',
  };
}

export async function runClusterPrimary(
  config: Config,
  log: Logger,
  migrate: () => Promise<void>,
): Promise<void> {
  if (!config.REDIS_URL) {
    console.error(
      'SERVER_PROCESSES > 1 needs REDIS_URL: every process must share the per-endpoint rate limit.',
    );
    process.exit(2);
  }
  await migrate(); // once, before any process runs its own (then a no-op)
  const aggregator = new AggregatorRegistry();
  const indexOf = new Map<Worker, number>();
  const deaths: number[] = [];
  let stopping = false;

  const fork = (index: number) => {
    const w = cluster.fork(workerEnv(config, index));
    indexOf.set(w, index);
    // A process asks for the group's metrics when /metrics is scraped on the main port.
    w.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (body) => w.send({ type: METRICS_REPLY, id: m.id, body, contentType: aggregator.contentType }),
        (err: Error) => w.send({ type: METRICS_REPLY, id: m.id, error: err.message }),
      );
    });
  };
  for (let i = 0; i < config.SERVER_PROCESSES; i++) fork(i);

  cluster.on('exit', (w, code, signal) => {
    const index = indexOf.get(w) ?? 0;
    indexOf.delete(w);
    if (stopping) {
      if (indexOf.size === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      log.fatal({ index, code, signal }, 'server processes keep dying; stopping the cluster');
      stopping = true;
      for (const other of indexOf.keys()) other.process.kill('SIGTERM');
      if (indexOf.size === 0) process.exit(1);
      return;
    }
    log.error({ index, code, signal }, 'server process died; starting another');
    setTimeout(() => !stopping && fork(index), 1000);
  });

  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : createMetricsServer(async () => ({
          contentType: aggregator.contentType,
          body: await aggregator.clusterMetrics(),
        }));
  if (metricsServer) {
    const host = config.METRICS_HOST ?? config.HOST;
    const port = await listen(metricsServer, host, config.METRICS_PORT!);
    log.info({ host, port }, 'metrics listening (unauthenticated, all server processes)');
  }

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: now.
      for (const w of indexOf.keys()) w.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, processes: indexOf.size }, 'shutting down the server processes');
    if (metricsServer) void closeServer(metricsServer, 1000);
    for (const w of indexOf.keys()) w.process.kill('SIGTERM');
    if (indexOf.size === 0) process.exit(0);
    // Each process drains on its own; one that hangs past its grace is killed.
    setTimeout(() => {
      for (const w of indexOf.keys()) w.process.kill('SIGKILL');
    }, config.SHUTDOWN_GRACE_MS + 15_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  log.info({ processes: config.SERVER_PROCESSES, port: config.PORT }, 'server cluster started');
}

/** In a cluster process: let the primary's aggregator read this process's registry. */
export function joinClusterMetrics(): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // its constructor is what makes this process answer the primary
}

let nextRequest = 0;
/**
 * The group's metrics, asked of the primary over IPC (cluster processes), or undefined when
 * this process is not part of a cluster.
 */
export function clusterMetrics(): Promise<{ contentType: string; body: string }> | undefined {
  if (!cluster.isWorker || !process.send) return undefined;
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onReply);
      reject(new Error('the cluster primary did not answer for metrics'));
    }, 10_000);
    const onReply = (m: {
      type?: string;
      id?: number;
      body?: string;
      contentType?: string;
      error?: string;
    }) => {
      if (m?.type !== METRICS_REPLY || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onReply);
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve({ contentType: m.contentType!, body: m.body! });
    };
    process.on('message', onReply);
    process.send!({ type: METRICS_REQUEST, id });
  });
}
