// Span export off the event loop. The SDK's batch processor serialises a whole batch to OTLP
// JSON and sends it from inside the onEnd() of the span that fills it: on the ack path that was
// most of tracing's CPU, and a ~15 ms stall of the loop every 2,048 spans (profiled,
// docs/performance.md). Here the loop only hands plain span records over, a few hundred per
// message; the SDK's BatchSpanProcessor and OTLP/HTTP exporter run on a worker thread, on
// whichever core has slack. Spans are best effort: a thread that dies is replaced at the next
// hand-over, and what it held is lost, never the request slowed.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A finished span as plain data: what crosses to the thread (structured clone). */
export interface SpanRecord {
  name: string;
  /** @opentelemetry/api SpanKind. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string | undefined;
  startMs: number;
  endMs: number;
  error?: string | undefined;
  attributes: Record<string, string | number | boolean>;
}

const require = createRequire(import.meta.url);

// Plain CommonJS, evaluated: no loader or build step is needed to start it (tsx, vitest, the
// compiled bundles). Modules are resolved by the parent and passed as paths, since an evaluated
// thread resolves from the working directory. The SDK reads its own OTEL_* variables here (a
// worker thread gets a copy of process.env).
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const m = workerData.modules;
const { SpanStatusCode, TraceFlags } = require(m.api);
const { millisToHrTime } = require(m.core);
const { OTLPTraceExporter } = require(m.exporter);
const { envDetectorSync, Resource } = require(m.resources);
const { BatchSpanProcessor } = require(m.sdk);
const resource = new Resource({ 'service.name': workerData.serviceName }).merge(envDetectorSync.detect());
const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: workerData.url }), workerData.batch);
const scope = { name: 'webhook-archive' };
function readable(s) {
  const context = { traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED };
  const span = {
    name: s.name, kind: s.kind, spanContext: () => context,
    startTime: millisToHrTime(s.startMs), endTime: millisToHrTime(s.endMs),
    duration: millisToHrTime(s.endMs - s.startMs),
    status: s.error ? { code: SpanStatusCode.ERROR, message: s.error } : { code: SpanStatusCode.UNSET },
    attributes: s.attributes, links: [], events: [], ended: true, resource,
    instrumentationLibrary: scope, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
  if (s.parentSpanId) span.parentSpanId = s.parentSpanId;
  return span;
}
parentPort.on('message', (msg) => {
  if (msg.spans) for (const s of msg.spans) processor.onEnd(readable(s));
  if (msg.flush !== undefined)
    processor.forceFlush().then(() => parentPort.postMessage({ flushed: msg.flush }), () => parentPort.postMessage({ flushed: msg.flush }));
  if (msg.shutdown !== undefined)
    processor.shutdown().then(() => parentPort.postMessage({ flushed: msg.shutdown }), () => parentPort.postMessage({ flushed: msg.shutdown }));
});
`;

/** Records handed over at once; fewer are sent on the next timer tick. */
const HANDOVER_BATCH = 256;
const HANDOVER_DELAY_MS = 50;

export interface SpanExportThread {
  record(span: SpanRecord): void;
  /** Hands over what is pending and waits until the thread has exported everything. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  readonly stats: { handedOver: number; threadsStarted: number };
}

export function startSpanExportThread(opts: {
  url: string;
  serviceName: string;
  /** BatchSpanProcessor options (the OTEL_BSP_* variables still apply where these are unset). */
  batch: Record<string, number>;
}): SpanExportThread {
  const modules = {
    api: require.resolve('@opentelemetry/api'),
    core: require.resolve('@opentelemetry/core'),
    exporter: require.resolve('@opentelemetry/exporter-trace-otlp-http'),
    resources: require.resolve('@opentelemetry/resources'),
    sdk: require.resolve('@opentelemetry/sdk-trace-base'),
  };
  const stats = { handedOver: 0, threadsStarted: 0 };
  let worker: Worker | undefined;
  let pending: SpanRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let nextFlush = 0;
  const flushes = new Map<number, () => void>();

  const thread = (): Worker => {
    if (worker) return worker;
    const w = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { modules, url: opts.url, serviceName: opts.serviceName, batch: opts.batch },
    });
    w.unref(); // never what keeps a process alive
    w.on('message', (m: { flushed?: number }) => {
      if (m.flushed === undefined) return;
      flushes.get(m.flushed)?.();
      flushes.delete(m.flushed);
    });
    w.on('error', () => {}); // 'exit' follows
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      for (const done of flushes.values()) done(); // nothing left to wait for on that thread
      flushes.clear();
    });
    stats.threadsStarted++;
    worker = w;
    return w;
  };

  const handOver = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const spans = pending;
    pending = [];
    thread().postMessage({ spans });
    stats.handedOver += spans.length;
  };

  const ask = (kind: 'flush' | 'shutdown') =>
    new Promise<void>((resolve) => {
      handOver();
      // No thread: nothing was ever handed over (or it died with what it held). Starting one
      // here would load the SDK only to flush or stop an empty queue.
      if (!worker) return resolve();
      const id = nextFlush++;
      flushes.set(id, resolve);
      thread().postMessage({ [kind]: id });
    });

  return {
    stats,
    // The bound is the thread's: its processor queues OTEL_BSP_MAX_QUEUE_SIZE spans and drops
    // beyond (the SDK counts and logs drops); here at most HANDOVER_BATCH wait for the timer.
    record(span) {
      pending.push(span);
      if (pending.length >= HANDOVER_BATCH) handOver();
      else if (!timer) {
        timer = setTimeout(handOver, HANDOVER_DELAY_MS);
        timer.unref();
      }
    },
    flush: () => ask('flush'),
    async shutdown() {
      await ask('shutdown');
      await worker?.terminate();
      worker = undefined;
    },
  };
}
