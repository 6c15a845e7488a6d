// The OpenTelemetry side of lib/tracing, loaded only when tracing is on: OTLP/HTTP (JSON)
// export in large batches (the SDK's BatchSpanProcessor and exporter, on a thread of their own:
// ./export-thread), and the few spans a message gets, recorded as plain objects: a start and
// end time, ids, attributes set once.
// No tracer, no context manager (so no AsyncLocalStorage hook per promise), nothing
// auto-instrumented: every parent is explicit (a traceparent from the receipt or a Temporal
// header). The SDK's own OTEL_* variables apply: OTEL_BSP_* (defaults below when unset),
// OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, OTEL_RESOURCE_ATTRIBUTES; OTEL_TRACES_SAMPLER(_ARG)
// decide at the request span (rootSampler).
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, type SpanContext, SpanKind } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import type { Config } from '../config';
import { type SpanRecord, startSpanExportThread } from './export-thread';
import { TRACEPARENT_HEADER } from './header';
import type { ActiveTracing, IngestSpan } from './index';
import type { WorkflowSpan } from './workflow-interceptors';

/** The route, not the URL: the path's token is the endpoint's address and must not be exported. */
export const INGEST_ROUTE = '/webhooks/incoming/in/{token}';

/**
 * Batch defaults for a span a message or more: the SDK's (512 per export, 2,048 queued, every
 * 5 s) drop spans from a few hundred messages a second on; these export in fewer, larger
 * requests and buffer a few seconds of peak. OTEL_BSP_* still override each.
 */
function batchDefaults() {
  const unset = (name: string) => process.env[name] === undefined;
  return {
    ...(unset('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ? { maxExportBatchSize: 2048 } : {}),
    ...(unset('OTEL_BSP_MAX_QUEUE_SIZE') ? { maxQueueSize: 16_384 } : {}),
    ...(unset('OTEL_BSP_SCHEDULE_DELAY') ? { scheduledDelayMillis: 2000 } : {}),
  };
}

/**
 * Whether a new trace is recorded, from the standard OTEL_TRACES_SAMPLER(_ARG). The request
 * span is always a root (a producer's traceparent is not trusted), so `parentbased_x` decides
 * as `x`; everything after it follows its decision (parent-based), so a trace is whole or
 * absent. Default parentbased_always_on: every message traced.
 */
export function rootSampler(config: SamplerConfig): (traceId: string) => boolean {
  switch ((config.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').replace(/^parentbased_/, '')) {
    case 'always_on':
      return () => true;
    case 'always_off':
      return () => false;
    case 'traceidratio': {
      const ratio = new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG ?? 1);
      return (traceId: string) =>
        ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
    }
    default:
      return () => true;
  }
}

/** Random ids cut from a pooled hex string: one randomBytes and one hex encoding per ~170 spans. */
let pool = '';
let poolAt = 0;
function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (poolAt + chars > pool.length) {
    pool = randomBytes(4096).toString('hex');
    poolAt = 0;
  }
  poolAt += chars;
  return pool.slice(poolAt - chars, poolAt);
}

const nowMs = () => performance.timeOrigin + performance.now();

/** The traceparent header of a header map (Temporal's), if any and well formed. */
function traceparentIn(headers: Record<string, unknown>): SpanContext | undefined {
  const header = headers[TRACEPARENT_HEADER];
  const value = header ? defaultPayloadConverter.fromPayload<unknown>(header as never) : undefined;
  return typeof value === 'string' ? (parseTraceParent(value) ?? undefined) : undefined;
}

type SamplerConfig = Partial<Pick<Config, 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>>;

export function startTracing(opts: {
  url: string;
  serviceName: string;
  sampler: SamplerConfig;
}): ActiveTracing {
  const exporter = startSpanExportThread({
    url: opts.url,
    serviceName: opts.serviceName,
    batch: batchDefaults(),
  });
  const sampled = rootSampler(opts.sampler);
  const record = (span: SpanRecord) => exporter.record(span);
  /** Workflow starts waiting for their header, by workflow id (set around each start). */
  const starting = new Map<string, string>();

  const clientInterceptor: WorkflowClientInterceptor = {
    start(input, next) {
      const traceparent = starting.get(input.options.workflowId);
      if (!traceparent) return next(input);
      const header = defaultPayloadConverter.toPayload(traceparent);
      return next({ ...input, headers: { ...input.headers, [TRACEPARENT_HEADER]: header } });
    },
  };

  // One interceptor per activity attempt (Temporal builds it with the attempt's context). Only
  // attempts scheduled by a traced run have the header; the ledger's loops never do.
  const activitySpans = (ctx: ActivityContext): ActivityInboundCallsInterceptor => ({
    async execute(input, next) {
      const parent = traceparentIn(input.headers);
      if (!parent) return next(input);
      const { info } = ctx;
      const startMs = nowMs();
      let error: string | undefined;
      try {
        return await next(input);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        record({
          name: `RunActivity:${info.activityType}`,
          kind: SpanKind.INTERNAL,
          traceId: parent.traceId,
          spanId: randomHex(8),
          parentSpanId: parent.spanId,
          startMs,
          endMs: nowMs(),
          error,
          attributes: { workflowId: info.workflowExecution?.workflowId ?? '', attempt: info.attempt },
        });
      }
    },
  });

  return {
    startIngest(req): IngestSpan {
      const traceId = randomHex(16);
      // A new trace per request: a producer's own traceparent is not trusted to parent ours.
      if (!sampled(traceId)) return UNSAMPLED;
      const spanId = randomHex(8);
      const startMs = nowMs();
      const method = req.method ?? 'GET';
      const peer = req.socket.remoteAddress ?? '';
      return {
        traceparent: `00-${traceId}-${spanId}-01`,
        end(statusCode, attributes) {
          record({
            name: `${method} ${INGEST_ROUTE}`,
            kind: SpanKind.SERVER,
            traceId,
            spanId,
            startMs,
            endMs: nowMs(),
            error: statusCode >= 500 ? `HTTP ${statusCode}` : undefined,
            attributes: {
              'http.request.method': method,
              'http.route': INGEST_ROUTE,
              'network.peer.address': peer,
              'http.response.status_code': statusCode,
              ...attributes,
            },
          });
        },
      };
    },
    async startingWith(workflowId, traceparent, start) {
      if (!traceparent) return start();
      starting.set(workflowId, traceparent);
      try {
        return await start();
      } finally {
        starting.delete(workflowId);
      }
    },
    clientInterceptor,
    worker: {
      interceptors: { activity: [(ctx) => ({ inbound: activitySpans(ctx) })] },
      // The workflow's one span leaves the sandbox through this sink (never called on replay).
      sinks: {
        tracing: {
          runEnded: {
            fn: (_info, span: WorkflowSpan) => {
              const parent = parseTraceParent(span.parent);
              if (!parent) return;
              record({
                name: span.name,
                kind: SpanKind.INTERNAL,
                traceId: parent.traceId,
                spanId: span.spanId,
                parentSpanId: parent.spanId,
                startMs: span.startMs,
                endMs: span.endMs,
                error: span.error,
                attributes: span.attributes,
              });
            },
          },
        },
      },
    },
    flush: () => exporter.flush(),
    shutdown: () => exporter.shutdown(),
  };
}

const UNSAMPLED: IngestSpan = { traceparent: undefined, end() {} };
