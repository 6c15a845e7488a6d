// Large URL attachment benchmark (issue 4): a 500 MB attachment streamed from a local HTTP
// server through the SSRF-guarded fetcher into the WORM store, with the production topology
// (separate server and worker processes, PostgreSQL, Temporal dev server). Prints the worker's
// RSS idle (baseline, same run) and at its peak during the download, and the throughput.
//
//   node --import tsx scripts/bench-attachment.ts [--mb 500]
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTRPCClient, httpLink } from '@trpc/client';
import { createTenantWithKey } from '../apps/server/bootstrap';
import type { AppRouter } from '../apps/server/trpc/root';
import { openDatabase } from '../db/client';
import { stopChild } from '../lib/child-process';
import { startDevServer } from '../lib/temporal/dev-server';
import { freePort } from '../test/helpers/ports';

const { values: args } = parseArgs({ options: { mb: { type: 'string', default: '500' } } });
const size = Number(args.mb) * 1024 * 1024;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'wa-bench-att-'));
const chunk = Buffer.alloc(1024 * 1024);
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
const expected = createHash('sha256');
for (let sent = 0; sent < size; sent += chunk.length)
  expected.update(chunk.subarray(0, Math.min(chunk.length, size - sent)));
const expectedSha = expected.digest('hex');

// The file server generates the bytes as it sends them: nothing of the 500 MB is held anywhere.
const files = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const n = Math.min(chunk.length, size - sent);
      sent += n;
      if (!res.write(chunk.subarray(0, n))) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
const filesPort = await freePort();
await new Promise<void>((r) => files.listen(filesPort, '127.0.0.1', r));

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `wa_bench_att_${Date.now()}`;
const admin = openDatabase({ url: adminUrl, maxConnections: 1 });
await admin.db.execute(`CREATE DATABASE ${dbName}` as never);
const databaseUrl = adminUrl.replace(/\/postgres$/, `/${dbName}`);
const temporal = await startDevServer({
  port: await freePort(),
  uiPort: 0,
  namespace: 'default',
  headless: true,
});
const port = await freePort();
const env = {
  ...process.env,
  DATA_DIR: dir,
  DATABASE_URL: databaseUrl,
  TEMPORAL_ADDRESS: temporal.address,
  PORT: String(port),
  FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  LOG_LEVEL: 'warn',
  MASTER_KEY: Buffer.alloc(32, 7).toString('base64url'),
};
const procs: ChildProcess[] = [];
// The production launchers (scripts/server, scripts/worker), exactly as an operator runs them.
const run = (launcher: string) => {
  const p = spawn(path.join(root, launcher), [], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  procs.push(p);
  return p;
};
const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

try {
  const server = run('scripts/server');
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const worker = run('scripts/worker');
  void server;
  await new Promise((r) => setTimeout(r, 5000));
  const idleRss = rssMb(worker.pid!, 'VmRSS');

  const db = openDatabase({ url: databaseUrl, maxConnections: 1 });
  const { adminKey } = await createTenantWithKey(db.db, 'bench');
  await db.close();
  const api = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${origin}/trpc`, headers: { authorization: `Bearer ${adminKey}` } })],
  });
  const { endpoint, secret } = await api.endpoints.create.mutate({ name: 'big', authMode: 'bearer' });
  const t0 = performance.now();
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      external_id: 'big-1',
      occurred_at: '2026-05-28T14:30:00Z',
      from: { identifier: 'a@example.com' },
      to: [],
      body: 'large attachment',
      attachments: [
        {
          filename: 'big.bin',
          content_type: 'application/octet-stream',
          url: `http://127.0.0.1:${filesPort}/big`,
          sha256: expectedSha,
        },
      ],
    }),
  });
  const ack = (await res.json()) as { message_id: string };
  let peak = idleRss;
  for (;;) {
    peak = Math.max(peak, rssMb(worker.pid!, 'VmRSS'));
    // NOT_FOUND until the workflow has persisted the row.
    const m = await api.messages.get.query({ id: ack.message_id }).catch(() => null);
    if (m && (m.status === 'archived' || m.status === 'failed')) {
      const seconds = (performance.now() - t0) / 1000;
      const att = m.attachments[0]!;
      peak = Math.max(peak, rssMb(worker.pid!, 'VmHWM'));
      console.log(`# ${args.mb} MB URL attachment, separate server and worker processes, 2-core machine`);
      console.log(
        `attachment status          ${att.status} (sha256 ${att.sha256 === expectedSha ? 'matches' : 'MISMATCH'}, ${att.size} bytes)`,
      );
      console.log(`worker RSS idle (baseline) ${idleRss.toFixed(0)} MB`);
      console.log(`worker RSS peak            ${peak.toFixed(0)} MB (VmHWM, whole process lifetime)`);
      console.log(`peak - idle                ${(peak - idleRss).toFixed(0)} MB`);
      console.log(
        `throughput                 ${(size / 1024 / 1024 / seconds).toFixed(0)} MB/s (${seconds.toFixed(1)} s, POST to archived)`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
} finally {
  for (const p of procs) await stopChild(p, 15_000);
  await temporal.stop();
  files.close();
  await admin.db.execute(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)` as never);
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
}
