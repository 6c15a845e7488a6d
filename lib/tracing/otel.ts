// The OpenTelemetry side of lib/tracing, loaded only when tracing is on: a Node tracer provider
// (AsyncLocalStorage context, W3C trace-context propagation) exporting over OTLP/HTTP (JSON) in
// batches, and Temporal's interceptors, which carry the context through workflow headers.
// The SDK's own OTEL_* variables still apply: OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES.
import { type Context, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker/index.js';
import { LEDGER_WORKFLOW_PREFIX } from '../../ledger/workflow-ids';
import type { ActiveTracing, TraceCarrier } from './index';

/** The route, not the URL: the path's token is the endpoint's address and must not be exported. */
export const INGEST_ROUTE = '/webhooks/incoming/in/{token}';

export function startTracing(opts: { url: string; serviceName: string }): ActiveTracing {
  const resource = new Resource({ 'service.name': opts.serviceName }).merge(envDetectorSync.detect());
  const processor = withoutLedgerLoops(new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.url })));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const tracer = trace.getTracer('webhook-archive');

  return {
    async ingest(req, res, fn) {
      const method = req.method ?? 'GET';
      return tracer.startActiveSpan(
        `${method} ${INGEST_ROUTE}`,
        {
          kind: SpanKind.SERVER,
          // A new trace per request: a producer's own traceparent is not trusted to parent ours.
          root: true,
          attributes: {
            'http.request.method': method,
            'http.route': INGEST_ROUTE,
            'network.peer.address': req.socket.remoteAddress ?? '',
          },
        },
        async (span) => {
          try {
            return await fn();
          } catch (err) {
            span.recordException(err as Error);
            throw err;
          } finally {
            span.setAttribute('http.response.status_code', res.statusCode);
            if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
          }
        },
      );
    },
    annotate(attributes) {
      trace.getActiveSpan()?.setAttributes(attributes);
    },
    capture() {
      return context.active() as unknown as TraceCarrier;
    },
    resume(carrier, fn) {
      return carrier ? context.with(carrier as unknown as Context, fn) : fn();
    },
    clientInterceptor: new OpenTelemetryWorkflowClientInterceptor(),
    worker: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      // Spans made inside the workflow sandbox leave it through this sink.
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The transparency log's integrator and auditor run forever, an activity a second per tenant:
 * their spans would drown the traces that matter (one per message), so they are not exported.
 * Temporal's interceptors name the run in `workflowId` (workflow side) or `temporalWorkflowId`.
 */
function withoutLedgerLoops(inner: SpanProcessor): SpanProcessor {
  const isLedger = (span: ReadableSpan) => {
    const id = span.attributes.workflowId ?? span.attributes.temporalWorkflowId;
    return typeof id === 'string' && id.startsWith(LEDGER_WORKFLOW_PREFIX);
  };
  return {
    onStart: (span, ctx) => inner.onStart(span, ctx),
    onEnd: (span) => {
      if (!isLedger(span)) inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}
