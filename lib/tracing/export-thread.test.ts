import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../test/helpers/otlp-receiver';
import { type SpanRecord, startSpanExportThread } from './export-thread';

const span = (i: number, over: Partial<SpanRecord> = {}): SpanRecord => ({
  name: `span-${i}`,
  kind: SpanKind.INTERNAL,
  traceId: i.toString(16).padStart(32, '0'),
  spanId: (i + 1).toString(16).padStart(16, '0'),
  startMs: 1_765_000_000_000 + i,
  endMs: 1_765_000_000_002 + i,
  attributes: { n: i, ok: true, label: `x${i}` },
  ...over,
});

describe('span export thread', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it('exports every recorded span from its own thread, with kind, parent, attributes and resource', async () => {
    const exporter = startSpanExportThread({
      url: `${receiver.url}/v1/traces`,
      serviceName: 'thread-test',
      batch: { maxExportBatchSize: 100, maxQueueSize: 10_000, scheduledDelayMillis: 60_000 },
    });
    // More than one hand-over batch (256) and more than one export batch (100).
    for (let i = 0; i < 600; i++) exporter.record(span(i));
    exporter.record(span(600, { kind: SpanKind.SERVER, parentSpanId: 'ab'.repeat(8), error: 'boom' }));
    await exporter.flush();
    const mine = receiver.spans.filter((s) => s.serviceName === 'thread-test');
    expect(mine).toHaveLength(601);
    expect(new Set(mine.map((s) => s.name)).size).toBe(601);
    const last = mine.find((s) => s.name === 'span-600')!;
    expect(last.kind).toBe(SpanKind.SERVER + 1); // OTLP's enum is the API's plus one
    expect(last.parentSpanId).toBe('ab'.repeat(8));
    expect(mine.find((s) => s.name === 'span-7')!.attributes).toMatchObject({ n: '7', label: 'x7' });
    expect(exporter.stats).toMatchObject({ handedOver: 601, threadsStarted: 1 });
    await exporter.shutdown();
  });

  it('flushes and stops without starting a thread when no span was recorded', async () => {
    const exporter = startSpanExportThread({
      url: `${receiver.url}/v1/traces`,
      serviceName: 'idle',
      batch: {},
    });
    await exporter.flush();
    await exporter.shutdown();
    expect(exporter.stats).toEqual({ handedOver: 0, threadsStarted: 0 });
  });

  it('hands a few spans over on its timer, without a flush', async () => {
    const exporter = startSpanExportThread({
      url: `${receiver.url}/v1/traces`,
      serviceName: 'timer-test',
      batch: { scheduledDelayMillis: 100 },
    });
    exporter.record(span(1));
    await expect
      .poll(() => receiver.spans.filter((s) => s.serviceName === 'timer-test').length, { timeout: 5000 })
      .toBe(1);
    await exporter.shutdown();
  });
});
