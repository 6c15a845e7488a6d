// Tracing end to end: with an OTLP endpoint configured (a local receiver here), one ingest is
// ONE trace: the HTTP request's span → the run's RunWorkflow → each activity attempt's
// RunActivity, every parent link checked. The relay starts the workflow after the answer, from
// the traceparent stored with the receipt, so a start the sweep redrives (the acknowledging
// server could not start it) continues the request's trace too.
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildWorkflowBundle } from '../apps/worker/worker';
import { ingestReceipts } from '../db/schema';
import { installTracing, shutdownTracing, tracing } from '../lib/tracing';
import { INGEST_ROUTE } from '../lib/tracing/otel';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver';
import { freePort } from './helpers/ports';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const SERVER = 2; // OTLP SpanKind: SPAN_KIND_SERVER

// Temporal's run id is `workflowId` on the run's span, and on each activity's.
const runIdOf = (s: ReceivedSpan) => s.attributes.workflowId ?? '';

describe('tracing (OpenTelemetry over OTLP/HTTP)', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const bundle = path.join(inject('runDir'), `workflow-bundle-traced-${process.pid}.js`);
    await buildWorkflowBundle(bundle, { traced: true });
    // Before the stack: its Temporal client and worker pick the interceptors up when built.
    await installTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, 'webhook-archive-test');
    stack = await startStack({
      workflowBundlePath: bundle,
      env: { RELAY_CONCURRENCY: '1', RELAY_SWEEP_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await shutdownTracing();
    await receiver?.close();
  });

  /** Flushes until every run's own span (it ends last) has arrived. */
  async function waitForRuns(acks: Ack[]) {
    await expect
      .poll(
        async () => {
          await tracing()!.flush();
          const done = new Set(
            receiver.spans.filter((s) => s.name === 'RunWorkflow:archiveMessage').map(runIdOf),
          );
          return acks.filter((a) => done.has(a.workflow_id)).length;
        },
        { timeout: 20_000 },
      )
      .toBe(acks.length);
  }

  /** The ack's request span is the root of one trace holding its run and every activity attempt. */
  function expectOneTrace(ack: Ack, endpointId: string): ReceivedSpan {
    const http = receiver.spans.filter(
      (s) =>
        s.name === `POST ${INGEST_ROUTE}` && s.attributes['webhook_archive.workflow_id'] === ack.workflow_id,
    );
    expect(http).toHaveLength(1);
    const root = http[0]!;
    expect(root.kind).toBe(SERVER);
    expect(root.parentSpanId).toBe('');
    expect(root.attributes['http.response.status_code']).toBe('200');
    expect(root.attributes['webhook_archive.code']).toBe('accepted');
    expect(root.attributes['webhook_archive.endpoint_id']).toBe(endpointId);

    // Everything of this run is in the request's trace, and nothing else is.
    const trace = receiver.spans.filter((s) => s.traceId === root.traceId);
    expect(
      receiver.spans.filter((s) => runIdOf(s) === ack.workflow_id && s.traceId !== root.traceId),
    ).toEqual([]);
    expect(trace.filter((s) => s !== root && runIdOf(s) !== ack.workflow_id)).toEqual([]);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId);

    const run = trace.filter((s) => s.name === 'RunWorkflow:archiveMessage');
    expect(run).toHaveLength(1);
    expect(parentOf(run[0]!)).toBe(root);
    // Every activity of the run, each attempt a span under the run.
    for (const activity of ['prepare', 'seal']) {
      const executed = trace.filter((s) => s.name === `RunActivity:${activity}`);
      expect(executed.length, activity).toBeGreaterThan(0);
      for (const e of executed) expect(parentOf(e), activity).toBe(run[0]);
    }
    // The ledger leaf is recorded by seal (new runs take the patch).
    expect(trace.filter((s) => s.name === 'RunActivity:appendToLedger')).toEqual([]);
    // A message is a handful of spans, not a span per step.
    expect(trace.length).toBeLessThanOrEqual(6);
    return root;
  }

  it('one ingest is one trace: HTTP → workflow → activities', async () => {
    const { adminKey } = await stack.newTenant();
    const api = adminClient(stack.baseUrl, adminKey);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'traced', authMode: 'bearer' });
    // Several at once through a relay of concurrency 1: most starts wait in its queue and run
    // after another request's, so each must carry its own request's trace.
    const acks = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await postBearer(endpoint.url, secret, samplePayload());
        expect(res.status).toBe(200);
        return (await res.json()) as Ack;
      }),
    );
    for (const ack of acks)
      await expect
        .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
        .toBe('archived');
    await waitForRuns(acks);

    const token = new URL(endpoint.url).pathname.split('/').pop()!;
    // The endpoint's token is its address: never exported.
    expect(JSON.stringify(receiver.spans)).not.toContain(token);
    // The transparency log's endless loops (an activity a second per tenant) make no spans.
    expect(receiver.spans.filter((s) => runIdOf(s).startsWith('ledger-'))).toEqual([]);
    for (const ack of acks) expectOneTrace(ack, endpoint.id);
  });

  it('a receipt the relay sweep redrives (its server could not start it) continues the request trace', async () => {
    // A second server on the same database whose Temporal is unreachable: it acknowledges and
    // stores the receipt, but its start fails. This stack's sweep starts it later.
    const deadTemporal = await startStack({
      worker: false,
      temporalAddress: `127.0.0.1:${await freePort()}`,
      masterKey: stack.masterKey,
      env: { RELAY_GRACE_MS: '600000', RELAY_SWEEP_INTERVAL_MS: '600000' },
    });
    try {
      const { adminKey } = await deadTemporal.newTenant();
      const api = adminClient(deadTemporal.baseUrl, adminKey);
      const { endpoint, secret } = await api.endpoints.create.mutate({
        name: 'redriven',
        authMode: 'bearer',
      });
      const res = await postBearer(endpoint.url, secret, samplePayload());
      expect(res.status).toBe(200);
      const ack = (await res.json()) as Ack;
      // Its start failed; the receipt is due at once (as if the grace had passed): this stack's
      // sweep finds it, with nothing but the database to go on.
      await expect.poll(() => deadTemporal.deps.relay.stats.failed, { timeout: 30_000 }).toBeGreaterThan(0);
      await stack.database.db
        .update(ingestReceipts)
        .set({ nextRelayAt: new Date() })
        .where(eq(ingestReceipts.id, ack.message_id));
      await expect
        .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
        .toBe('archived');
      await waitForRuns([ack]);
      const root = expectOneTrace(ack, endpoint.id);
      // The receipt kept the request span's traceparent; the sweep's start used it.
      const [receipt] = await stack.database.db
        .select({ traceparent: ingestReceipts.traceparent })
        .from(ingestReceipts)
        .where(eq(ingestReceipts.id, ack.message_id));
      expect(receipt?.traceparent).toBe(`00-${root.traceId}-${root.spanId}-01`);
    } finally {
      await deadTemporal.close();
    }
  });
});
