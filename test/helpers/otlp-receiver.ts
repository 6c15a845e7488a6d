// A local OTLP/HTTP trace receiver (JSON encoding, what @opentelemetry/exporter-trace-otlp-http
// sends): collects every span it is sent. Tests assert on them; benchmarks use it as a sink.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { z } from 'zod';

const ZAttribute = z.object({
  key: z.string(),
  value: z
    .object({ stringValue: z.string().optional(), intValue: z.union([z.number(), z.string()]).optional() })
    .loose(),
});
const ZSpan = z
  .object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string().optional(),
    name: z.string(),
    kind: z.number(),
    attributes: z.array(ZAttribute).default([]),
  })
  .loose();
const ZExport = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(ZAttribute).default([]) }).loose(),
      scopeSpans: z.array(z.object({ spans: z.array(ZSpan).default([]) }).loose()).default([]),
    }),
  ),
});

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string>;
  serviceName: string;
}

export interface OtlpReceiver {
  /** The base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter posts to /v1/traces under it). */
  url: string;
  spans: ReceivedSpan[];
  requests: number;
  close(): Promise<void>;
}

const flat = (attrs: z.infer<typeof ZAttribute>[]) =>
  Object.fromEntries(attrs.map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue ?? '')]));

export async function startOtlpReceiver(opts: { keep?: boolean } = {}): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = { url: '', spans: [], requests: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      if (opts.keep !== false) {
        const parsed = ZExport.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        for (const rs of parsed.resourceSpans) {
          const serviceName = flat(rs.resource.attributes)['service.name'] ?? '';
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              receiver.spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                kind: s.kind,
                attributes: flat(s.attributes),
                serviceName,
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  receiver.url = `http://127.0.0.1:${port}`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
