// OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, this module is all
// that is loaded: no OTel SDK, no interceptor, and every hook is one `undefined` check. On,
// installTracing loads ./otel (the SDK, the OTLP/HTTP exporter, Temporal's interceptors) once
// per process, before any Temporal client or worker is built, and the hooks below use it:
//   HTTP ingest span ─▶ (carried past the answer to the relay) ─▶ StartWorkflow ─▶ RunWorkflow
//   ─▶ StartActivity ─▶ RunActivity, all one trace.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Config } from '../config';

/** A trace context captured on the ack path and resumed by the relay (an OTel Context inside). */
export interface TraceCarrier {
  readonly __traceCarrier: true;
}

export interface ActiveTracing {
  /** Runs one ingest request inside a SERVER span (the token never appears in it). */
  ingest<T>(req: IncomingMessage, res: ServerResponse, fn: () => Promise<T>): Promise<T>;
  /** Adds attributes (endpoint, outcome, ids) to the current span, if any. */
  annotate(attributes: Record<string, string | number | boolean>): void;
  /** The current context, to resume after the answer (the relay starts the workflow later). */
  capture(): TraceCarrier;
  resume<T>(carrier: TraceCarrier | undefined, fn: () => T): T;
  clientInterceptor: WorkflowClientInterceptor;
  /** What a worker adds: activity interceptors and the sink workflow spans leave the sandbox by. */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<OpenTelemetrySinks> };
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
>;

/** Installs tracing when an OTLP endpoint is configured; a no-op otherwise, and on a second call. */
export async function installTracing(config: TracingConfig, defaultServiceName: string): Promise<void> {
  const url = otlpTracesUrl(config);
  if (active || !url) return;
  const { startTracing } = await import('./otel');
  active = startTracing({ url, serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName });
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
