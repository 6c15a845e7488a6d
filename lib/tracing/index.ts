// OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, this module is all
// that is loaded: no OTel SDK, no interceptor, and every hook is one `undefined` check. On,
// installTracing loads ./otel (the SDK and the OTLP/HTTP exporter) once per process, before any
// Temporal client or worker is built. A message's trace is a few cheap spans:
//   HTTP ingest (server) ─▶ RunWorkflow (worker) ─▶ RunActivity per attempt
// linked by a W3C traceparent that travels with the receipt (a column, so a start the relay's
// sweep redrives hours later still continues the request's trace) and then in Temporal headers.
// No context manager (AsyncLocalStorage) and no SDK in the workflow sandbox: parents are explicit.
import type { IncomingMessage } from 'node:http';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Config } from '../config';
import type { TracingSinks } from './workflow-interceptors';

/** The HTTP request's span: started when the request arrives, ended once it is answered. */
export interface IngestSpan {
  /** The span's W3C traceparent when sampled (stored with the receipt), else undefined. */
  readonly traceparent: string | undefined;
  end(statusCode: number, attributes: Record<string, string>): void;
}

export interface ActiveTracing {
  /** A SERVER span for one ingest request (the route, never the token, is in it). */
  startIngest(req: IncomingMessage): IngestSpan;
  /** Runs a workflow start whose run (and its activities) join `traceparent`'s trace. */
  startingWith<T>(
    workflowId: string,
    traceparent: string | null | undefined,
    start: () => Promise<T>,
  ): Promise<T>;
  clientInterceptor: WorkflowClientInterceptor;
  /** What a worker adds: the activity span interceptor and the sink workflow spans leave the sandbox by. */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<TracingSinks> };
  /** Exports what is buffered now (tests, shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let active: ActiveTracing | undefined;

/** The installed tracing, or undefined when off (the common, free case). */
export function tracing(): ActiveTracing | undefined {
  return active;
}

export type TracingConfig = Pick<
  Config,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SERVICE_NAME'
> &
  Partial<Pick<Config, 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>>;

/** Installs tracing when an OTLP endpoint is configured; a no-op otherwise, and on a second call. */
export async function installTracing(config: TracingConfig, defaultServiceName: string): Promise<void> {
  const url = otlpTracesUrl(config);
  if (active || !url) return;
  const { startTracing } = await import('./otel');
  active = startTracing({
    url,
    serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName,
    sampler: config,
  });
}

/** Flushes and stops the exporter (shutdown paths); a no-op when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const t = active;
  active = undefined;
  await t?.shutdown();
}

/**
 * The OTLP/HTTP traces URL: the signal-specific variable as given, else the base endpoint plus
 * `v1/traces` (the OTLP exporter specification's rule for OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export function otlpTracesUrl(config: TracingConfig): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
