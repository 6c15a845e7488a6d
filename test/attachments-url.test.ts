// URL attachments end to end: fetched by the worker through the SSRF guard, retried by
// Temporal's policy, sealed with the message, or recorded as fetch_failed with the reason.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveActivities } from '../activities/archive';
import { attachmentFetchSettings } from '../apps/runtime';
import { attachments, auditLog } from '../db/schema';
import { messageIdFor } from '../lib/ids';
import { SA_ATTACHMENTS } from '../lib/temporal/search-attributes';
import { attachmentKey, manifestKey } from '../worm/keys';
import { LocalWormStore } from '../worm/local-store';
import { type Stack, startStack } from './helpers/stack';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postBearer, samplePayload } from './helpers/webhooks';

const FILE = Buffer.from('%PDF-1.7 not really a pdf, but bytes all the same\n'.repeat(1000));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let files: Server;
let filesUrl: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  files = createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0]!;
    hits.set(route, (hits.get(route) ?? 0) + 1);
    const n = hits.get(route)!;
    if (route === '/ok') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(FILE);
    if (route === '/flaky') {
      if (n <= 2) return res.writeHead(503).end('try later');
      return res.writeHead(200, { 'content-type': 'application/pdf' }).end(FILE);
    }
    if (route === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
    if (route === '/gone') return res.writeHead(404).end('no');
    if (route === '/down') return res.writeHead(503).end('always down');
    if (route === '/changes') return res.writeHead(200).end(`a new version, ${n}\n`);
    if (route === '/big') return res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 1));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const addr = files.address();
  filesUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => files.close(() => r())));

describe('URL attachments', () => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let tenantId: string;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
        FETCH_MAX_ATTEMPTS: '3',
        ATTACHMENT_MAX_BYTES: String(1024 * 1024),
      },
    });
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    api = adminClient(stack.baseUrl, t.adminKey);
  });
  afterAll(() => stack?.close());

  it('stores what can be fetched and records what cannot, then archives the message', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'att', authMode: 'bearer' });
    const att = (route: string, extra: Record<string, unknown> = {}) => ({
      filename: `${route.slice(1)}.pdf`,
      content_type: 'application/pdf',
      url: `${filesUrl}${route}`,
      ...extra,
    });
    const p = samplePayload({
      attachments: [
        att('/ok', { sha256: sha(FILE) }),
        att('/flaky'),
        att('/redirect'),
        att('/gone'),
        att('/ok', { sha256: '0'.repeat(64) }),
        att('/big'),
        att('/down'),
        {
          filename: 'inline.txt',
          content_type: 'text/plain',
          content_base64: Buffer.from('hi').toString('base64'),
        },
      ],
    });
    const ack = (await (await postBearer(endpoint.url, secret, p)).json()) as Ack;
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, {
        timeout: 60_000,
        interval: 500,
      })
      .toBe('archived');
    const msg = await api.messages.get.query({ id: ack.message_id });
    const byOrdinal = (i: number) => msg.attachments.find((a) => a.ordinal === i)!;

    for (const i of [0, 1, 2]) {
      expect(byOrdinal(i)).toMatchObject({
        status: 'stored',
        sha256: sha(FILE),
        size: FILE.length,
        contentType: 'application/pdf',
      });
    }
    expect(hits.get('/flaky')).toBe(3); // two 503s, then success: Temporal's retry policy at work
    expect(byOrdinal(3)).toMatchObject({ status: 'fetch_failed' });
    expect(byOrdinal(3).error).toMatch(/http_4xx/);
    expect(byOrdinal(4).error).toMatch(/sha256_mismatch/);
    expect(byOrdinal(5).error).toMatch(/too_large/);
    expect(byOrdinal(6)).toMatchObject({ status: 'fetch_failed' });
    expect(hits.get('/down')).toBe(3); // the retry budget, then recorded
    expect(hits.get('/gone')).toBe(1); // a 404 is not retried
    expect(byOrdinal(7)).toMatchObject({
      status: 'stored',
      source: 'inline',
      sha256: sha(Buffer.from('hi')),
    });

    const manifest = JSON.parse(
      readFileSync(path.join(stack.wormDir, manifestKey(tenantId, ack.message_id)), 'utf8'),
    );
    expect(manifest.attachments[0]).toMatchObject({
      status: 'stored',
      sha256: sha(FILE),
      filename: 'ok.pdf',
    });
    expect(manifest.attachments[0].provenance.status).toBe(200);
    expect(manifest.attachments[2].provenance.redirects).toEqual([`${filesUrl}/redirect`]);
    expect(manifest.attachments[3]).toMatchObject({ status: 'fetch_failed' });
    const stored = readFileSync(path.join(stack.wormDir, manifest.attachments[1].key));
    expect(sha(stored)).toBe(sha(FILE));

    const audits = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, ack.message_id), eq(auditLog.action, 'attachment.fetch_failed')));
    expect(audits.map((a) => (a.details as { ordinal: number }).ordinal).sort()).toEqual([3, 4, 5, 6]);

    // The run's search attributes are set as it finishes (after the ledger step), not at archived.
    const handle = stack.deps.temporal.workflow.getHandle(ack.workflow_id);
    await handle.result();
    const run = await handle.describe();
    expect(run.typedSearchAttributes.get(SA_ATTACHMENTS)).toBe('fetch_failed');
  }, 90_000);

  it('a prepare run again for an archived message (a reset run) changes nothing', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'reset', authMode: 'bearer' });
    const att = (route: string) => ({
      filename: `${route.slice(1)}.pdf`,
      content_type: 'application/pdf',
      url: `${filesUrl}${route}`,
    });
    const payload = samplePayload({ attachments: [att('/ok'), att('/gone')] });
    const raw = JSON.stringify(payload);
    const ack = (await (await postBearer(endpoint.url, secret, raw)).json()) as Ack;
    await expect
      .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
      .toBe('archived');
    const rowsOf = () =>
      stack.database.db.select().from(attachments).where(eq(attachments.messageId, ack.message_id));
    const before = await rowsOf();
    expect(before.map((r) => r.status).sort()).toEqual(['fetch_failed', 'stored']);

    const { config, log, evidence } = stack.deps;
    const activities = createArchiveActivities({
      db: stack.database.db,
      worm: stack.deps.worm,
      log,
      fetch: attachmentFetchSettings(config),
      evidence,
      exportDir: config.EXPORT_DIR,
    });
    const input = {
      messageId: ack.message_id,
      tenantId,
      endpointId: endpoint.id,
      externalId: payload.external_id,
      workflowId: ack.workflow_id,
      rawSha256: sha(Buffer.from(raw)),
    };
    // Settled: the run is told the message is archived, and stops there (no download again).
    expect(await activities.prepare(input)).toMatchObject({
      duplicate: true,
      alreadyArchived: true,
      conflict: false,
    });
    expect(await rowsOf()).toEqual(before);
    expect((await api.messages.verify.mutate({ id: ack.message_id })).ok).toBe(true);
  });

  it('records a download an earlier attempt sealed but did not record, without downloading again', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'resumed', authMode: 'bearer' });
    const payload = samplePayload({
      attachments: [{ filename: 'live.pdf', content_type: 'application/pdf', url: `${filesUrl}/changes` }],
    });
    const raw = JSON.stringify(payload);
    // What an attempt killed between its put and its row update leaves: the object sealed under
    // the attachment's key, the row still pending. The server now answers other bytes, as a
    // live document may; a second download would collide with the sealed object.
    const earlier = Buffer.from('the bytes the first attempt downloaded\n');
    const messageId = messageIdFor(endpoint.id, payload.external_id);
    await new LocalWormStore(stack.wormDir).put(
      attachmentKey(tenantId, messageId, sha(Buffer.from(raw)), 0),
      earlier,
      {
        contentType: 'application/pdf',
        retainUntil: new Date(Date.now() + 86_400_000),
      },
    );

    const ack = (await (await postBearer(endpoint.url, secret, raw)).json()) as Ack;
    expect(ack.message_id).toBe(messageId);
    await expect
      .poll(async () => (await api.messages.get.query({ id: messageId })).status, { timeout: 30_000 })
      .toBe('archived');
    const [att] = (await api.messages.get.query({ id: messageId })).attachments;
    expect(att).toMatchObject({ status: 'stored', sha256: sha(earlier), size: earlier.length, error: null });
    expect(hits.get('/changes') ?? 0).toBe(0);
    const manifest = JSON.parse(
      readFileSync(path.join(stack.wormDir, manifestKey(tenantId, messageId)), 'utf8'),
    );
    expect(manifest.attachments[0].provenance).toEqual({ sealedByEarlierAttempt: true });
    // Sealed for a day by the earlier attempt; now as long as the message is retained.
    const reused = await new LocalWormStore(stack.wormDir).head(manifest.attachments[0].key);
    expect(reused!.retainUntil.getTime()).toBeGreaterThanOrEqual(Date.parse(manifest.retain_until));
    expect((await api.messages.verify.mutate({ id: messageId })).ok).toBe(true);
  }, 60_000);
});

describe('SSRF guard in the archive path', () => {
  it('refuses private addresses when private networks are not allowed, without connecting', async () => {
    const stack = await startStack({
      env: { FETCH_ALLOW_PRIVATE_NETWORKS: 'false', FETCH_MAX_ATTEMPTS: '3' },
    });
    try {
      const t = await stack.newTenant();
      const api = adminClient(stack.baseUrl, t.adminKey);
      const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'ssrf', authMode: 'bearer' });
      const before = hits.get('/ok') ?? 0;
      const targets = [
        `${filesUrl}/ok`,
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:127.0.0.1]/ok',
        'http://localhost/ok',
      ];
      const p = samplePayload({
        attachments: targets.map((url, i) => ({ filename: `f${i}`, content_type: 'text/plain', url })),
      });
      const ack = (await (await postBearer(endpoint.url, secret, p)).json()) as Ack;
      await expect
        .poll(async () => (await api.messages.get.query({ id: ack.message_id })).status, { timeout: 30_000 })
        .toBe('archived');
      const msg = await api.messages.get.query({ id: ack.message_id });
      expect(msg.attachments.map((a) => a.status)).toEqual(Array(targets.length).fill('fetch_failed'));
      for (const a of msg.attachments) expect(a.error).toMatch(/ssrf_blocked/);
      expect(hits.get('/ok') ?? 0).toBe(before);
    } finally {
      await stack.close();
    }
  }, 60_000);
});
