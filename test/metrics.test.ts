// GET /metrics: Prometheus text that a strict parser accepts, behind an admin key or
// METRICS_TOKEN on the main port, open on METRICS_PORT; counters move with real traffic; the
// Temporal SDK's worker metrics are exported on their own port.
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../apps/runtime';
import { createMetricsServer } from '../apps/server/http/metrics';
import { createLogger } from '../lib/logger';
import { registerBacklogGauge } from '../lib/metrics';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { freePort } from './helpers/ports';
import { type Family, parsePrometheusText, sampleValue } from './helpers/prom-text';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { postBearer, postHmac, samplePayload } from './helpers/webhooks';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let stack: Stack;
let api: ReturnType<typeof adminClient>;
let adminKey: string;
let temporalMetricsPort: number;
let files: Server;
let filesUrl: string;

beforeAll(async () => {
  // First in this process: the SDK's Runtime is installed once, with its Prometheus exporter.
  temporalMetricsPort = await freePort();
  installTemporalRuntime(createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })), {
    metricsBindAddress: `127.0.0.1:${temporalMetricsPort}`,
  });
  files = createServer((_req, res) => res.end('attachment bytes'));
  filesUrl = `http://127.0.0.1:${await listen(files, '127.0.0.1', 0)}/a.txt`;
  stack = await startStack({ env: { METRICS_TOKEN, FETCH_ALLOW_PRIVATE_NETWORKS: 'true' } });
  const t = await stack.newTenant();
  adminKey = t.adminKey;
  api = adminClient(stack.baseUrl, adminKey);
});
afterAll(async () => {
  await stack?.close();
  if (files) await closeServer(files, 1000);
});

async function scrape(
  base = stack.baseUrl,
  auth: string | null = METRICS_TOKEN,
): Promise<Map<string, Family>> {
  const res = await fetch(`${base}/metrics`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('/metrics on the main port', () => {
  it('needs an admin key or METRICS_TOKEN', async () => {
    const none = await fetch(`${stack.baseUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await fetch(`${stack.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    await scrape(stack.baseUrl, METRICS_TOKEN);
    await scrape(stack.baseUrl, adminKey);
  });

  it('parses, carries the prefix and process metrics, and counters move with traffic', async () => {
    const before = await scrape();
    for (const name of before.keys()) expect(name.startsWith('webhook_archive_')).toBe(true);
    expect(sampleValue(before, 'webhook_archive_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(before.get('webhook_archive_ingest_ack_duration_seconds')?.type).toBe('histogram');

    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'metrics', authMode: 'hmac' });
    const sent = [
      samplePayload(),
      samplePayload(),
      samplePayload({ attachments: [{ filename: 'a.txt', content_type: 'text/plain', url: filesUrl }] }),
    ];
    for (const p of sent) expect((await postHmac(endpoint.url, secret, p)).status).toBe(200);
    expect((await postHmac(endpoint.url, secret, sent[0])).status).toBe(200); // duplicate
    expect((await postBearer(endpoint.url, 'nope', samplePayload())).status).toBe(401);
    await expect
      .poll(async () => (await api.messages.counts.query({ endpointId: endpoint.id })).archived, {
        timeout: 30_000,
      })
      .toBe(3);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('webhook_archive_ingest_requests_total', { status: '200', code: 'accepted' })).toBe(3);
    expect(delta('webhook_archive_ingest_requests_total', { status: '200', code: 'duplicate' })).toBe(1);
    expect(delta('webhook_archive_ingest_requests_total', { status: '401', code: 'unauthorized' })).toBe(1);
    expect(delta('webhook_archive_ingest_ack_duration_seconds_count', { status_class: '2xx' })).toBe(4);
    expect(
      delta('webhook_archive_ingest_ack_duration_seconds_bucket', { status_class: '2xx', le: '+Inf' }),
    ).toBe(4);
    expect(delta('webhook_archive_workflows_started_total')).toBe(3);
    expect(delta('webhook_archive_messages_archived_total')).toBe(3);
    expect(delta('webhook_archive_attachment_fetches_total', { outcome: 'stored' })).toBe(1);
    expect(delta('webhook_archive_rate_limit_decisions_total', { decision: 'admitted' })).toBe(4);
    // Each archived message seals at least its record and manifest.
    expect(
      delta('webhook_archive_worm_put_duration_seconds_count', { store: 'local' }),
    ).toBeGreaterThanOrEqual(6);
  });

  it('the receipt backlog gauges read the registered source on each scrape', async () => {
    let count = 7;
    registerBacklogGauge(async () => ({ count, oldestAgeSeconds: 12.5 }));
    const first = await scrape();
    expect(sampleValue(first, 'webhook_archive_receipt_backlog')).toBe(7);
    expect(sampleValue(first, 'webhook_archive_receipt_backlog_oldest_age_seconds')).toBe(12.5);
    count = 2;
    expect(sampleValue(await scrape(), 'webhook_archive_receipt_backlog')).toBe(2);
  });
});

describe('separate listeners', () => {
  it('METRICS_PORT serves /metrics unauthenticated, and nothing else', async () => {
    const server = createMetricsServer();
    const port = await listen(server, '127.0.0.1', 0);
    try {
      const families = await scrape(`http://127.0.0.1:${port}`, null);
      expect(families.has('webhook_archive_ingest_requests_total')).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/trpc/endpoints.list`)).status).toBe(404);
    } finally {
      await closeServer(server, 1000);
    }
  });

  it("the Temporal SDK exports the worker's own metrics on TEMPORAL_METRICS_PORT", async () => {
    await expect
      .poll(
        async () => {
          const res = await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`).catch(() => null);
          return res?.ok ? [...parsePrometheusText(await res.text()).keys()] : [];
        },
        { timeout: 15_000 },
      )
      .toEqual(expect.arrayContaining([expect.stringMatching(/^temporal_.*worker/)]));
  });
});
