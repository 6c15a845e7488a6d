// Start-up time and idle memory of the production processes, tsx vs compiled JavaScript
// (dist/app, scripts/build-app.ts), in one run: each process is started as `scripts/server` /
// `scripts/worker` start it, timed from spawn to its "server listening" / "worker running" log
// line, then left idle for a few seconds and its RSS read from /proc. Variants alternate
// within each round, so drift on a shared machine hits both alike. Needs the machine's
// PostgreSQL (a scratch database is created and dropped); starts its own Temporal dev server.
//
//   node --import tsx scripts/bench-startup.ts [--rounds 3] [--idle-ms 5000]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildWorkflowBundle, defaultBundlePath } from '../apps/worker/worker';
import { openDatabase } from '../db/client';
import { stopChild } from '../lib/child-process';
import { startDevServer } from '../lib/temporal/dev-server';
import { freePort } from '../test/helpers/ports';
import { median } from './bench/stats';
import { buildApp } from './build-app';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'idle-ms': { type: 'string', default: '5000' } },
});
const rounds = Number(args.rounds);
const idleMs = Number(args['idle-ms']);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ADMIN_URL = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Role = 'server' | 'worker';
type Variant = 'tsx' | 'compiled';
const READY: Record<Role, string> = { server: 'server listening', worker: 'worker running' };
/** The node arguments scripts/server and scripts/worker use (before and after this change). */
const ARGS: Record<Role, Record<Variant, string[]>> = {
  server: { tsx: ['--import', 'tsx', 'apps/server/main.ts'], compiled: ['dist/app/server.js'] },
  worker: {
    tsx: ['--max-semi-space-size=2', '--import', 'tsx', 'apps/worker/main.ts'],
    compiled: ['--max-semi-space-size=2', 'dist/app/worker.js'],
  },
};

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

async function measure(role: Role, variant: Variant, env: NodeJS.ProcessEnv) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-startup-'));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ARGS[role][variant], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes(READY[role])) resolve(performance.now() - t0);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (c) => reject(new Error(`${role} (${variant}) exited ${c}:\n${out}`)));
    });
    await new Promise((r) => setTimeout(r, idleMs));
    return { startMs, rss: rssMb(child.pid!) };
  } finally {
    await stopChild(child, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// What both variants need, built up front so neither pays for it.
await buildApp();
if (!existsSync(defaultBundlePath)) await buildWorkflowBundle(defaultBundlePath);
const temporal = await startDevServer({
  port: await freePort(),
  uiPort: 0,
  namespace: 'default',
  headless: true,
  readyTimeoutMs: 120_000,
});
const dbName = `wa_bench_startup_${Date.now()}`;
const admin = openDatabase({ url: ADMIN_URL, maxConnections: 1 });
await admin.db.execute(`CREATE DATABASE ${dbName}` as never);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`),
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: `bench-startup-${process.pid}`,
  LOG_LEVEL: 'info',
};
delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

try {
  await measure('server', 'compiled', env); // warm-up: migrations, OS file cache
  const results: Record<string, { startMs: number; rss: number }[]> = {};
  console.log(`# ${rounds} rounds, idle ${idleMs} ms before RSS is read; variants alternate`);
  for (let round = 1; round <= rounds; round++) {
    for (const role of ['server', 'worker'] as const) {
      const order: Variant[] = round % 2 ? ['tsx', 'compiled'] : ['compiled', 'tsx'];
      for (const variant of order) {
        const r = await measure(role, variant, env);
        const key = `${role} ${variant}`;
        results[key] = [...(results[key] ?? []), r];
        console.log(
          `round ${round} ${role.padEnd(6)} ${variant.padEnd(8)} start ${r.startMs.toFixed(0).padStart(5)} ms  idle RSS ${r.rss.toFixed(0).padStart(4)} MB`,
        );
      }
    }
  }
  console.log('\nmedians:');
  for (const role of ['server', 'worker'] as const) {
    const t = results[`${role} tsx`]!;
    const c = results[`${role} compiled`]!;
    const [ts, cs] = [median(t.map((r) => r.startMs)), median(c.map((r) => r.startMs))];
    const [tr, cr] = [median(t.map((r) => r.rss)), median(c.map((r) => r.rss))];
    console.log(
      `${role.padEnd(6)} start: tsx ${ts.toFixed(0)} ms → compiled ${cs.toFixed(0)} ms (${(((cs - ts) / ts) * 100).toFixed(0)}%); ` +
        `idle RSS: tsx ${tr.toFixed(0)} MB → compiled ${cr.toFixed(0)} MB (${(cr - tr).toFixed(0)} MB)`,
    );
  }
} finally {
  await temporal.stop();
  await admin.db.execute(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)` as never);
  await admin.close();
}
