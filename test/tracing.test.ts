// Tracing end to end: with an OTLP endpoint configured (a local receiver here), one ingest is
// ONE trace: the HTTP request's span → the relay's StartWorkflow → RunWorkflow → each
// StartActivity → RunActivity, every parent link checked. The relay starts the workflow after
// the answer, so this also proves the context survives the hand-over.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildWorkflowBundle } from '../apps/worker/worker';
import { installTracing, shutdownTracing, tracing } from '../lib/tracing';
import { INGEST_ROUTE } from '../lib/tracing/otel';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const SERVER = 2; // OTLP SpanKind: SPAN_KIND_SERVER

describe('tracing (OpenTelemetry over OTLP/HTTP)', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const bundle = path.join(inject('runDir'), `workflow-bundle-traced-${process.pid}.js`);
    await buildWorkflowBundle(bundle, { traced: true });
    // Before the stack: its Temporal client and worker pick the interceptors up when built.
    await installTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, 'webhook-archive-test');
    stack = await startStack({ workflowBundlePath: bundle, env: { RELAY_CONCURRENCY: '1' } });
  });
  afterAll(async () => {
    await stack?.close();
    await shutdownTracing();
    await receiver?.close();
  });

  it('one ingest is one trace: HTTP → workflow start → workflow → activities', async () => {
    const { adminKey } = await stack.newTenant();
    const api = adminClient(stack.baseUrl, adminKey);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'traced', authMode: 'bearer' });
    // Several at once through a relay of concurrency 1: most starts wait in its queue and run
    // from another request's callback, so each must resume its own request's context.
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

    // Temporal's interceptors name the run `workflowId` (workflow side) or `temporalWorkflowId`.
    const runIdOf = (s: ReceivedSpan) => s.attributes.workflowId ?? s.attributes.temporalWorkflowId ?? '';
    // Spans leave in batches: flush until every run's own span (it ends last) has arrived.
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

    const token = new URL(endpoint.url).pathname.split('/').pop()!;
    // The endpoint's token is its address: never exported.
    expect(JSON.stringify(receiver.spans)).not.toContain(token);
    // The transparency log's endless loops (an activity a second per tenant) are left out.
    expect(receiver.spans.filter((s) => runIdOf(s).startsWith('ledger-'))).toEqual([]);

    for (const ack of acks) {
      const http = receiver.spans.filter(
        (s) =>
          s.name === `POST ${INGEST_ROUTE}` &&
          s.attributes['webhook_archive.workflow_id'] === ack.workflow_id,
      );
      expect(http).toHaveLength(1);
      const root = http[0]!;
      expect(root.kind).toBe(SERVER);
      expect(root.parentSpanId).toBe('');
      expect(root.attributes['http.response.status_code']).toBe('200');
      expect(root.attributes['webhook_archive.code']).toBe('accepted');
      expect(root.attributes['webhook_archive.endpoint_id']).toBe(endpoint.id);

      // Everything of this run is in the request's trace, and nothing else is.
      const trace = receiver.spans.filter((s) => s.traceId === root.traceId);
      expect(
        receiver.spans.filter((s) => runIdOf(s) === ack.workflow_id && s.traceId !== root.traceId),
      ).toEqual([]);
      expect(trace.filter((s) => s !== root && runIdOf(s) !== ack.workflow_id)).toEqual([]);
      const byId = new Map(trace.map((s) => [s.spanId, s]));
      const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId);

      const start = trace.filter((s) => s.name === 'StartWorkflow:archiveMessage');
      expect(start).toHaveLength(1);
      expect(parentOf(start[0]!)).toBe(root);

      const run = trace.filter((s) => s.name === 'RunWorkflow:archiveMessage');
      expect(run).toHaveLength(1);
      expect(parentOf(run[0]!)).toBe(start[0]);

      // Every activity of the run: scheduled by the workflow, executed under that schedule.
      for (const activity of ['prepare', 'seal', 'appendToLedger']) {
        const scheduled = trace.filter((s) => s.name === `StartActivity:${activity}`);
        const executed = trace.filter((s) => s.name === `RunActivity:${activity}`);
        expect(scheduled.length, activity).toBeGreaterThan(0);
        expect(executed.length, activity).toBeGreaterThan(0);
        for (const s of scheduled) expect(parentOf(s), activity).toBe(run[0]);
        for (const e of executed) expect(scheduled, activity).toContain(parentOf(e));
      }
    }
  });
});
