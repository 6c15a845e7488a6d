// The embedded all-in-one process (scripts/start's apps/main.ts): Temporal dev server, PGlite (in
// a process of its own, served over a Unix socket) and the worker as supervised children. One message end to end and a clean
// Ctrl-C that takes both children with it; the PGlite process killed mid-burst; the main process
// killed, its PGlite process following it, and a restart archiving what it had acknowledged.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openDatabase, rowsOf } from '../db/client';
import { testDatabaseUrl } from './helpers/database';
import { startEnv } from './helpers/ports';
import { childPids, isAlive, killAndWait } from './helpers/processes';
import { adminClient } from './helpers/trpc-client';
import { type Ack, postHmac, samplePayload } from './helpers/webhooks';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

interface Readyz {
  status: string;
  components: Record<string, { ok: boolean; restarts?: number; last_exit?: { signal: string | null } }>;
}

interface Embedded {
  child: ChildProcess;
  origin: string;
  /** The printed libpq-style URL of the running PGlite process (unset with PGLITE_PROCESS=false). */
  databaseUrl: string;
  api: ReturnType<typeof adminClient>;
  /** The PGlite process's pid (a direct child running db/embedded/process.ts). */
  databasePid(): number | undefined;
  /** The worker process's pid (a direct child running apps/worker/main.ts). */
  workerPid(): number | undefined;
}

async function startEmbedded(dataDir: string, env: Record<string, string> = {}): Promise<Embedded> {
  const start = await startEnv(dataDir);
  const { port } = start;
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/main.ts'], {
    env: { ...process.env, ...start.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  await expect.poll(() => stdout, { timeout: 90_000, interval: 250 }).toMatch(/Listening on/);
  const databaseUrl = /Database:\s+(postgres:\/\/\S+)/.exec(stdout)?.[1];
  if (env.PGLITE_PROCESS !== 'false' && !env.DATABASE_URL) expect(databaseUrl, stdout).toBeDefined();
  const api = adminClient(
    `http://127.0.0.1:${port}`,
    readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim(),
  );
  const childRunning = (entry: string) => () =>
    childPids(child.pid!).find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
      } catch {
        return false;
      }
    });
  const databasePid = childRunning('db/embedded/process');
  const workerPid = childRunning('apps/worker/main');
  return {
    child,
    origin: `http://127.0.0.1:${port}`,
    api,
    databasePid,
    workerPid,
    databaseUrl: databaseUrl!,
  };
}

/** A terminal's Ctrl-C: SIGINT, then the exit code. */
function ctrlC(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  return exited;
}

/** Sends each payload until it is acknowledged, as a producer retries a 503; returns the acks. */
async function sendAll(url: string, secret: string, ids: string[], concurrency = 16): Promise<Ack[]> {
  const acks: Ack[] = [];
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        for (let attempt = 0; ; attempt++) {
          const res = await postHmac(url, secret, samplePayload({ external_id: id })).catch(() => undefined);
          if (res?.status === 200) {
            acks.push((await res.json()) as Ack);
            break;
          }
          // Only the database's absence may refuse a message here, and only for a while.
          if (res) expect([503]).toContain(res.status);
          await res?.body?.cancel();
          expect(attempt).toBeLessThan(300);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }),
  );
  return acks;
}

async function expectAllArchivedOnce(api: Embedded['api'], endpointId: string, acks: Ack[], n: number) {
  expect(new Set(acks.map((a) => a.message_id)).size).toBe(n);
  await expect
    .poll(async () => (await api.messages.counts.query({ endpointId })).archived, {
      timeout: 90_000,
      interval: 500,
    })
    .toBe(n);
  const counts = await api.messages.counts.query({ endpointId });
  expect(counts.total).toBe(n); // one record per external_id, none doubled
  expect(counts.backlog.messages).toBe(0);
}

describe('scripts/start (apps/main.ts)', () => {
  it('acknowledges and archives a message, then stops cleanly on SIGINT, children included', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-'));
    const s = await startEmbedded(dataDir);
    const dbPid = s.databasePid();
    expect(dbPid).toBeDefined();

    const { endpoint, secret } = await s.api.endpoints.create.mutate({ name: 'embedded', authMode: 'hmac' });
    const res = await postHmac(endpoint.url, secret, samplePayload());
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Ack;
    expect(ack.status).toBe('accepted');
    await expect
      .poll(async () => (await s.api.messages.get.query({ id: ack.message_id }).catch(() => null))?.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('archived');

    // Another process reaches the running database through the printed URL (psql would too).
    const other = openDatabase({ url: s.databaseUrl, maxConnections: 2 });
    const [row] = rowsOf<{ status: string }>(
      await other.db.execute(sql`SELECT status FROM messages WHERE id = ${ack.message_id}`),
    );
    expect(row?.status).toBe('archived');
    await other.close();

    // Its children: the dev server's lifeline, the PGlite process and the worker process.
    const children = childPids(s.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    expect(s.workerPid()).toBeDefined();
    expect(await ctrlC(s.child)).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
  }, 150_000);

  it('PGLITE_PROCESS=false: PGlite and the worker in the main process (eager starts), end to end', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-inproc-'));
    const s = await startEmbedded(dataDir, { PGLITE_PROCESS: 'false' });
    expect(s.databasePid()).toBeUndefined();
    expect(s.workerPid()).toBeUndefined();
    const { endpoint, secret } = await s.api.endpoints.create.mutate({ name: 'inproc', authMode: 'hmac' });
    const acks = await sendAll(endpoint.url, secret, ['inproc-1', 'inproc-2', 'inproc-3']);
    await expectAllArchivedOnce(s.api, endpoint.id, acks, 3);
    expect(await ctrlC(s.child)).toBe(0);
  }, 150_000);

  it('DATABASE_URL: the worker in a process of its own on PostgreSQL too, end to end', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-pg-'));
    const s = await startEmbedded(dataDir, { DATABASE_URL: await testDatabaseUrl() });
    expect(s.databasePid()).toBeUndefined();
    const workerPid = s.workerPid();
    expect(workerPid).toBeDefined();
    const { endpoint, secret } = await s.api.endpoints.create.mutate({ name: 'pg', authMode: 'hmac' });
    const acks = await sendAll(endpoint.url, secret, ['pg-1', 'pg-2', 'pg-3']);
    await expectAllArchivedOnce(s.api, endpoint.id, acks, 3);
    const report = (await (await fetch(`${s.origin}/readyz`)).json()) as Readyz;
    expect(report.components.worker).toMatchObject({ ok: true, restarts: 0 });
    expect(await ctrlC(s.child)).toBe(0);
    expect(isAlive(workerPid!)).toBe(false);
  }, 150_000);

  it('the PGlite process killed mid-burst: restarted, and every acknowledged message archived once', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-dbkill-'));
    const s = await startEmbedded(dataDir);
    const { endpoint, secret } = await s.api.endpoints.create.mutate({ name: 'burst', authMode: 'hmac' });
    const before = s.databasePid()!;
    const ids = Array.from({ length: 300 }, (_, i) => `dbkill-${i}`);
    const sending = sendAll(endpoint.url, secret, ids);
    await new Promise((r) => setTimeout(r, 300)); // mid-burst
    await killAndWait(before);
    const acks = await sending;
    expect(acks).toHaveLength(300);
    expect(s.databasePid()).not.toBe(before); // a new one serves
    await expectAllArchivedOnce(s.api, endpoint.id, acks, 300);
    // /readyz tells the restart and how the last one died.
    const report = (await (await fetch(`${s.origin}/readyz`)).json()) as Readyz;
    expect(report.status).toBe('ready');
    expect(report.components.database).toMatchObject({ ok: true, embedded: true, restarts: 1 });
    expect(report.components.database?.last_exit).toMatchObject({ signal: 'SIGKILL' });
    expect(report.components.worker).toMatchObject({ ok: true, restarts: 0 });
  }, 240_000);

  it('the main process SIGKILLed: its PGlite and worker processes exit too, and a restart archives every ack', async () => {
    const dataDir = mkdtempSync(path.join(inject('runDir'), 'embedded-mainkill-'));
    const first = await startEmbedded(dataDir);
    const { endpoint, secret } = await first.api.endpoints.create.mutate({ name: 'crash', authMode: 'hmac' });
    const dbPid = first.databasePid()!;
    const workerPid = first.workerPid()!;
    const ids = Array.from({ length: 100 }, (_, i) => `mainkill-${i}`);
    const acks = await sendAll(endpoint.url, secret, ids);
    await killAndWait(first.child.pid!); // before most workflows could finish
    await expect.poll(() => isAlive(dbPid), { timeout: 15_000, interval: 100 }).toBe(false);
    await expect.poll(() => isAlive(workerPid), { timeout: 30_000, interval: 100 }).toBe(false);

    const second = await startEmbedded(dataDir);
    await expectAllArchivedOnce(second.api, endpoint.id, acks, 100);
    // The same messages sent again are duplicates of what the first run acknowledged.
    const url = new URL(new URL(endpoint.url).pathname, second.origin).toString(); // its new port
    const again = await postHmac(url, secret, samplePayload({ external_id: 'mainkill-0' }));
    expect(((await again.json()) as Ack).status).toBe('duplicate');
  }, 240_000);
});
