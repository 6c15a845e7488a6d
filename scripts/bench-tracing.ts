// The cost of tracing one ingest request, in process (robust on a shared machine, where the
// end-to-end benchmark's few-percent differences drown in noise): lib/tracing's request span
// (started, attributes set once, ended, exported over OTLP/HTTP JSON to a local receiver that
// discards) against, in the same run, the SDK's tracer doing the same (startSpan with the
// attributes, setAttributes, end, the same batch processor and exporter) and against nothing.
// lib/tracing's figure includes starting its export thread and waiting for that thread's last
// export (the spans themselves are serialised there, off the loop that made them).
// Each variant runs `--spans` spans, timed until the last export is answered; alternating rounds.
//
//   node --import tsx scripts/bench-tracing.ts [--spans 50000] [--rounds 3]

import type { IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { INGEST_ROUTE, startTracing } from '../lib/tracing/otel';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver';
import { median } from './bench/stats';

const { values: args } = parseArgs({
  options: { spans: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '3' } },
});
const n = Number(args.spans);
const rounds = Number(args.rounds);
const sink = await startOtlpReceiver({ keep: false });
const url = `${sink.url}/v1/traces`;
// What startIngest reads of a request: its method and the peer's address.
const req = { method: 'POST', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
const attrs = (i: number) => ({
  'webhook_archive.request_id': `req-${i}`,
  'webhook_archive.endpoint_id': '5f0c6f0e-8a5d-4a8e-9d7b-2f1f3c4d5e6f',
  'webhook_archive.code': 'accepted',
  'webhook_archive.workflow_id': `archive-5f0c6f0e-${i}`,
});

async function plainRecords(): Promise<number> {
  const t = startTracing({ url, serviceName: 'bench', sampler: {} });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const span = t.startIngest(req);
    span.end(200, attrs(i));
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // let exports run, as a server would
  }
  await t.flush();
  const ms = performance.now() - t0;
  await t.shutdown();
  return ms;
}

async function sdkSpans(): Promise<number> {
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
    maxExportBatchSize: 2048,
    maxQueueSize: 16_384,
    scheduledDelayMillis: 2000,
  });
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': 'bench' }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('bench');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`POST ${INGEST_ROUTE}`, {
      kind: SpanKind.SERVER,
      root: true,
      attributes: {
        'http.request.method': 'POST',
        'http.route': INGEST_ROUTE,
        'network.peer.address': '127.0.0.1',
      },
    });
    span.setAttributes({ ...attrs(i), 'http.response.status_code': 200 });
    span.end();
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await provider.forceFlush();
  const ms = performance.now() - t0;
  await provider.shutdown();
  return ms;
}

async function none(): Promise<number> {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < n; i++) {
    x += Object.keys(attrs(i)).length;
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  if (x < 0) console.log(x);
  return performance.now() - t0;
}

const variants = {
  'tracing off (the attributes only)': none,
  'SDK tracer spans (before)': sdkSpans,
  'lib/tracing request spans (now)': plainRecords,
};
const results = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
await plainRecords(); // warm-up: JIT, the exporter's modules, the sink's connection
await sdkSpans();
console.log(`# ${n} request spans per measurement, exported to a local OTLP/HTTP receiver; ${rounds} rounds`);
for (let r = 1; r <= rounds; r++)
  for (const [name, fn] of Object.entries(variants)) {
    const ms = await fn();
    results.get(name)!.push(ms);
    console.log(`  round ${r} ${name.padEnd(36)} ${((ms * 1000) / n).toFixed(2).padStart(7)} µs per request`);
  }
await sink.close();
console.log('');
for (const [name, ms] of results)
  console.log(
    `${name.padEnd(36)} ${((median(ms) * 1000) / n).toFixed(2).padStart(7)} µs per request (median)`,
  );
console.log(`(the OTLP sink received ${sink.requests} export requests)`);
