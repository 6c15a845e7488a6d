// Routes the Temporal SDK's own logs into our logger, at warn and above (its info lines, such
// as webpack's bundle report, are noise for operators), and, when a port is given, has the
// SDK's core export its worker metrics (task slots, poll latency, …) for Prometheus there.
// One Runtime per process: the first call wins.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

export function installTemporalRuntime(log: Logger, opts: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    ...(opts.metricsBindAddress
      ? {
          telemetryOptions: {
            metrics: {
              metricPrefix: 'temporal_',
              prometheus: {
                bindAddress: opts.metricsBindAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
    // We own shutdown order (stop accepting HTTP first, then drain the worker): the SDK must
    // not react to SIGINT/SIGTERM on its own.
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      const l = level === 'ERROR' ? 'error' : 'warn';
      log[l]({ component: 'temporal-sdk', ...meta }, message);
    }),
  });
}
