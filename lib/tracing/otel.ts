// The OpenTelemetry side of lib/tracing, loaded only when tracing is on: a tracer provider
// exporting over OTLP/HTTP (JSON) in large batches, and the few spans a message gets. No
// context manager is registered and nothing is auto-instrumented: every parent is explicit (a
// traceparent from the receipt or a Temporal header), so no AsyncLocalStorage hook runs per
// promise and only the spans below are made.
// The SDK's own OTEL_* variables apply: OTEL_TRACES_SAMPLER(_ARG) (default parentbased_always_on),
// OTEL_BSP_* (defaults below when unset), OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, OTEL_RESOURCE_ATTRIBUTES.
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { millisToHrTime, parseTraceParent } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { TRACEPARENT_HEADER } from './header';
import type { ActiveTracing, IngestSpan } from './index';
import type { WorkflowSpan } from './workflow-interceptors';

/** The route, not the URL: the path's token is the endpoint's address and must not be exported. */
export const INGEST_ROUTE = '/webhooks/incoming/in/{token}';
const SCOPE = { name: 'webhook-archive' };

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

const parentContext = (traceparent: string): Context | undefined => {
  const parent = parseTraceParent(traceparent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : undefined;
};

const traceparentOf = (c: SpanContext) =>
  c.traceFlags & TraceFlags.SAMPLED ? `00-${c.traceId}-${c.spanId}-01` : undefined;

export function startTracing(opts: { url: string; serviceName: string }): ActiveTracing {
  const resource = new Resource({ 'service.name': opts.serviceName }).merge(envDetectorSync.detect());
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.url }), batchDefaults());
  // The sampler comes from OTEL_TRACES_SAMPLER(_ARG); parent-based by default, so a trace is
  // whole or absent. Not registered globally: nothing else in the process makes spans.
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer(SCOPE.name);
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

  // One interceptor per activity attempt (Temporal builds it with the attempt's context).
  const activitySpans = (ctx: ActivityContext): ActivityInboundCallsInterceptor => ({
    async execute(input, next) {
      const header = input.headers[TRACEPARENT_HEADER];
      const traceparent = header ? defaultPayloadConverter.fromPayload<string>(header) : undefined;
      const parent = typeof traceparent === 'string' ? parentContext(traceparent) : undefined;
      if (!parent) return next(input);
      const { info } = ctx;
      const span = tracer.startSpan(
        `RunActivity:${info.activityType}`,
        { attributes: { workflowId: info.workflowExecution?.workflowId ?? '', attempt: info.attempt } },
        parent,
      );
      try {
        return await next(input);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  });

  return {
    startIngest(req): IngestSpan {
      const method = req.method ?? 'GET';
      // A new trace per request: a producer's own traceparent is not trusted to parent ours.
      const span = tracer.startSpan(`${method} ${INGEST_ROUTE}`, {
        kind: SpanKind.SERVER,
        root: true,
        attributes: {
          'http.request.method': method,
          'http.route': INGEST_ROUTE,
          'network.peer.address': req.socket.remoteAddress ?? '',
        },
      });
      return {
        traceparent: span.isRecording() ? traceparentOf(span.spanContext()) : undefined,
        end(statusCode, attributes) {
          span.setAttributes({ ...attributes, 'http.response.status_code': statusCode });
          if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
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
          runEnded: { fn: (_info, span) => processor.onEnd(workflowSpan(span, resource)) },
        },
      },
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** A RunWorkflow span as the exporter reads it, from what the sandbox reported. */
function workflowSpan(s: WorkflowSpan, resource: Resource): ReadableSpan {
  const parent = parseTraceParent(s.parent);
  const context: SpanContext = {
    traceId: parent?.traceId ?? '',
    spanId: s.spanId,
    traceFlags: TraceFlags.SAMPLED,
  };
  const attributes: Attributes = s.attributes;
  return {
    name: s.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    startTime: millisToHrTime(s.startMs),
    endTime: millisToHrTime(s.endMs),
    duration: millisToHrTime(s.endMs - s.startMs),
    status: s.error ? { code: SpanStatusCode.ERROR, message: s.error } : { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationLibrary: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
