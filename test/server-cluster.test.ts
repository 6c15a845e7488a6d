// SERVER_PROCESSES=2: two HTTP processes share one port under a node:cluster primary. The same
// message sent to both at once is one receipt; /metrics counts the whole group; a process that
// dies is replaced while the other keeps answering; SIGTERM stops them all; without Redis (the
// shared rate limit) it refuses to start.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client';
import { ingestReceipts } from '../db/schema';
import { stopChild } from '../lib/child-process';
import { testDatabaseUrl } from './helpers/database';
import { freePort } from './helpers/ports';
import { childPids, isAlive, killAndWait } from './helpers/processes';
import { parsePrometheusText, sampleValue } from './helpers/prom-text';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postHmac, samplePayload } from './helpers/webhooks';

const METRICS_TOKEN = 'cluster-metrics-token-0123456789abcdef';
let dir: string;
let env: Record<string, string>;
let primary: ChildProcess;
let origin: string;
let metricsOrigin: string;
let api: ReturnType<typeof adminClient>;
let database: ReturnType<typeof openDatabase>;

async function waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    (await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (
    await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  return sampleValue(parsePrometheusText(text), name, labels);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'wa-cluster-'));
  const [port, metricsPort, deadTemporal] = await Promise.all([freePort(), freePort(), freePort()]);
  const url = await testDatabaseUrl();
  env = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: url,
    // Unreachable: the ack path alone (receipts commit; the relay only queues).
    TEMPORAL_ADDRESS: `127.0.0.1:${deadTemporal}`,
    REDIS_URL: 'redis://127.0.0.1:6379',
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_TOKEN,
    MASTER_KEY: randomBytes(32).toString('base64url'),
    DATA_DIR: dir,
    LOG_LEVEL: 'error',
    SERVER_PROCESSES: '2',
  };
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/operator.ts', 'create', '--name', 'cluster'],
    { env },
  ).toString();
  const adminKey = /admin key:\s+(\S+)/.exec(out)![1]!;
  primary = spawn(process.execPath, ['--import', 'tsx', 'apps/server/main.ts'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  origin = `http://127.0.0.1:${port}`;
  metricsOrigin = `http://127.0.0.1:${metricsPort}`;
  await waitHealthy(origin);
  api = adminClient(origin, adminKey);
  database = openDatabase({ url, maxConnections: 2 });
}, 120_000);

afterAll(async () => {
  if (primary) await stopChild(primary, 30_000);
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SERVER_PROCESSES=2', () => {
  it('runs two processes on one port; the same message sent to both at once is one receipt', async () => {
    await expect.poll(() => childPids(primary.pid!).length, { timeout: 30_000 }).toBe(2);
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'c', authMode: 'hmac' });
    // Many connections at once: the cluster hands them to both processes.
    const same = await Promise.all(
      Array.from({ length: 40 }, () => postHmac(endpoint.url, secret, samplePayload({ external_id: 'one' }))),
    );
    expect(same.map((r) => r.status)).toEqual(Array(40).fill(200));
    const acks = (await Promise.all(same.map((r) => r.json()))) as Ack[];
    expect(new Set(acks.map((a) => a.message_id)).size).toBe(1);
    expect(acks.filter((a) => a.status === 'accepted')).toHaveLength(1);
    const rows = await database.db
      .select({ id: ingestReceipts.id })
      .from(ingestReceipts)
      .where(eq(ingestReceipts.endpointId, endpoint.id));
    expect(rows).toHaveLength(1);

    const distinct = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        postHmac(endpoint.url, secret, samplePayload({ external_id: `m-${i}` })),
      ),
    );
    expect(distinct.map((r) => r.status)).toEqual(Array(60).fill(200));
  });

  it('/metrics on either port counts the whole group', async () => {
    const labels = { status: '200', code: 'accepted' };
    const name = 'webhook_archive_ingest_requests_total';
    expect(await metric(name, labels)).toBe(61);
    expect(await metric(name, { status: '200', code: 'duplicate' })).toBe(39);
    const open = sampleValue(
      parsePrometheusText(await (await fetch(`${metricsOrigin}/metrics`)).text()),
      name,
      labels,
    );
    expect(open).toBe(61);
  });

  it('a process that dies is replaced, and the other keeps answering meanwhile', async () => {
    const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'k', authMode: 'hmac' });
    const [victim, survivor] = childPids(primary.pid!);
    await killAndWait(victim!);
    expect(isAlive(survivor!)).toBe(true);
    // A keep-alive connection to the dead process fails once, as it would for any producer; the
    // retry lands on the survivor.
    const send = () => postHmac(endpoint.url, secret, samplePayload({ external_id: 'during' }));
    const during = await send().catch(send);
    expect(during.status).toBe(200);
    // The victim stays listed as a zombie until the primary reaps it: a replacement is a new pid.
    await expect
      .poll(() => childPids(primary.pid!).filter((p) => p !== survivor && p !== victim).length, {
        timeout: 30_000,
      })
      .toBe(1);
    await waitHealthy(origin);
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postHmac(endpoint.url, secret, samplePayload({ external_id: `after-${i}` })),
      ),
    );
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(200));
  }, 60_000);

  it('SIGTERM stops every process; without REDIS_URL it refuses to start', async () => {
    await expect.poll(() => childPids(primary.pid!).length, { timeout: 30_000 }).toBe(2);
    const children = childPids(primary.pid!);
    const exited = new Promise<number | null>((r) => primary.once('exit', (code) => r(code)));
    primary.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of children) expect(isAlive(pid)).toBe(false);

    const { REDIS_URL: _, ...noRedis } = env;
    const refused = spawn(process.execPath, ['--import', 'tsx', 'apps/server/main.ts'], {
      env: noRedis,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    refused.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((r) => refused.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/SERVER_PROCESSES > 1 needs REDIS_URL/);
  }, 60_000);
});
