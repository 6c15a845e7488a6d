// The system under test for the ingest benchmarks, in a child process:
// - 'all-in-one': apps/main.ts as scripts/start runs it (HTTP server, relay, worker, Temporal dev
//   server as a child), on PGlite or, with `database: 'postgres'`, on a fresh database of the
//   machine's PostgreSQL;
// - 'server-only': apps/server/main.ts alone on PostgreSQL, its Temporal unreachable, so the
//   relay only queues what it would start: the ack path by itself, as a production server
//   instance runs it with Temporal and the workers on other machines. On PostgreSQL, or on the
//   embedded database (the PGlite process scripts/start runs, through its socket URL).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../apps/server/trpc/root';
import { socketDirFor, superviseEmbeddedDatabase } from '../../db/embedded/database';
import { stopChild } from '../../lib/child-process';
import { hmacSha256Hex } from '../../lib/crypto';
import { freePort, startEnv } from '../../test/helpers/ports';
import type { LoadRequest } from './load';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const pgAdminUrl =
  process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SystemOptions {
  database: 'embedded' | 'postgres';
  topology: 'all-in-one' | 'server-only';
  env?: Record<string, string>;
  /** Run the compiled entry (dist/app, scripts/build-app.ts; built by the caller) instead of tsx. */
  compiled?: boolean;
  /** A benchmark's own entry instead of the topology's (a TypeScript file under scripts/bench/). */
  entry?: string;
  /** Node options for the system's process (e.g. --cpu-prof); default: BENCH_NODE_ARGS. */
  nodeArgs?: string[];
}

/** CPU seconds consumed so far, per party (Linux /proc): ratios on a shared machine stay honest. */
export interface CpuReading {
  /** The system's own processes (the child and its descendants, the Temporal dev server included). */
  system: number;
  /** PostgreSQL backends connected to the system's database (PostgreSQL runs only). */
  postgres: number;
  /** This process: the load generator. */
  load: number;
}

export interface System {
  origin: string;
  /** CPU used so far by the system, its database backends and the load generator. */
  cpu(): Promise<CpuReading>;
  temporalPort: number;
  api: ReturnType<typeof createTRPCClient<AppRouter>>;
  /** The system's process (profiles: BENCH_NODE_ARGS=--cpu-prof, then SIGTERM and wait). */
  pid: number;
  /** HMAC endpoints, created through the admin API. */
  createEndpoints(n: number, limits?: EndpointRateLimit): Promise<{ url: string; secret: string }[]>;
  stop(): Promise<void>;
}

export interface EndpointRateLimit {
  rateLimitPerSecond: number;
  rateLimitBurst: number;
}

/**
 * For benchmarks of the ack's capacity: the highest per-endpoint rate limit the API allows, so the
 * limiter still runs on every request but never decides the rate. At the contract's default
 * (100/s, burst 200) twenty endpoints take a closed loop of N messages in (N − 4,000) / 2,000
 * seconds however fast the server is: 2,500 acks/s for 20,000, what bench-ack measured until
 * 2026-12-06.
 */
export const UNBINDING_RATE_LIMIT: EndpointRateLimit = {
  rateLimitPerSecond: 100_000,
  rateLimitBurst: 1_000_000,
};

export async function startSystem(opts: SystemOptions): Promise<System> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-bench-'));
  // server-only on the embedded database: the PGlite process as scripts/start runs it, reached
  // through its socket URL, as the all-in-one process reaches it.
  const pglite =
    opts.topology === 'server-only' && opts.database === 'embedded'
      ? await superviseEmbeddedDatabase({
          pgliteDir: path.join(dataDir, 'pglite'),
          socketDir: socketDirFor(dataDir),
        })
      : undefined;
  const start = await startEnv(dataDir);
  const { port, temporalPort } = start;
  const deadPort = await freePort();
  const pgDb = opts.database === 'postgres' ? `wa_bench_${Date.now()}_${process.pid}` : undefined;
  if (pgDb) await adminSql(`CREATE DATABASE ${pgDb}`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...start.env,
    ...(pgDb ? { DATABASE_URL: pgAdminUrl.replace(/\/[^/]*$/, `/${pgDb}`) } : {}),
    ...(pglite ? { DATABASE_URL: pglite.url } : {}),
    ...opts.env,
  };
  let adminKey: string | undefined;
  if (opts.topology === 'server-only') {
    env.TEMPORAL_ADDRESS = `127.0.0.1:${deadPort}`;
    env.MASTER_KEY = randomBytes(32).toString('base64url');
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/operator.ts', 'create', '--name', 'bench'],
      {
        cwd: root,
        env,
      },
    ).toString();
    adminKey = /admin key:\s+(\S+)/.exec(out)?.[1];
  }
  const entry = opts.entry
    ? ['--import', 'tsx', opts.entry]
    : opts.compiled
      ? [opts.topology === 'server-only' ? 'dist/app/server.js' : 'dist/app/main.js']
      : ['--import', 'tsx', opts.topology === 'server-only' ? 'apps/server/main.ts' : 'apps/main.ts'];
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...entry],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = async () => {
    await stopChild(child, 30_000);
    await pglite?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgDb) await adminSql(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
  };
  try {
    const origin = `http://127.0.0.1:${port}`;
    await waitReady(child, `${origin}/healthz`, 120_000);
    adminKey ??= readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
    const api = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${origin}/trpc`, headers: { authorization: `Bearer ${adminKey}` } })],
    });
    return {
      origin,
      cpu: async () => ({
        system: cpuSecondsOf([...descendants(child.pid!), ...(pglite ? [pglite.process().pid!] : [])]),
        postgres: pgDb ? cpuSecondsOf(await backendPids(pgDb)) : 0,
        load: ownCpuSeconds(),
      }),
      temporalPort,
      api,
      pid: child.pid!,
      createEndpoints: (n, limits) =>
        Promise.all(
          Array.from({ length: n }, async (_, i) => {
            const e = await api.endpoints.create.mutate({ name: `bench-${i}`, authMode: 'hmac', ...limits });
            return { url: e.endpoint.url, secret: e.secret };
          }),
        ),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A 1 KB message in the contract's shape. */
export function body1k(externalId: string): string {
  const base = {
    external_id: externalId,
    occurred_at: '2026-05-28T14:30:00Z',
    from: { identifier: 'alice@example.com', display_name: 'Alice' },
    to: [{ identifier: 'bob@example.com', display_name: 'Bob' }],
    body: '',
    attachments: [],
    channel: 'bench',
  };
  const s = JSON.stringify(base);
  return s.replace('"body":""', `"body":"${'x'.repeat(1024 - s.length)}"`);
}

/** `count` HMAC-signed 1 KB requests spread round-robin over `endpoints`. */
export function hmacRequests(
  prefix: string,
  count: number,
  endpoints: { url: string; secret: string }[],
): LoadRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const ep = endpoints[i % endpoints.length]!;
    const body = body1k(`${prefix}-${i}`);
    return {
      url: new URL(ep.url),
      body,
      headers: {
        'content-type': 'application/json',
        'x-comma-signature': hmacSha256Hex(ep.secret, Buffer.from(body)),
      },
    };
  });
}

/** The bare read + HMAC server (the ack's ceiling), in its own process. */
export async function startBaseline(secret: string): Promise<{ origin: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/baseline-server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), BASELINE_SECRET: secret },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitReady(child, `http://127.0.0.1:${port}/`, 30_000);
  return { origin: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.stdout?.resume();
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`${url}: process exited (${exited}) before ready`);
    try {
      await fetch(url, { method: 'GET' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`timed out waiting for ${url}`);
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of live processes, in seconds (a process gone meanwhile counts as 0). */
export function cpuSecondsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      // Fields after the command name (which may contain spaces) close with ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds so far of a process tree, per role (the dev server, the worker and PGlite processes,
 * the rest): where a run's CPU went, read once before and once after.
 */
export function cpuByRole(rootPid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of descendants(rootPid)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {}
    const role = /temporal/.test(cmd)
      ? 'temporal'
      : /worker/.test(cmd)
        ? 'worker'
        : /embedded|database\.js/.test(cmd)
          ? 'pglite'
          : pid === rootPid
            ? 'main'
            : 'other';
    out[role] = (out[role] ?? 0) + cpuSecondsOf([pid]);
  }
  return out;
}

/** This process's CPU seconds so far (user + system, one reading): the load generator's. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export function descendants(pid: number): number[] {
  const children = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...children(out[i]!));
  return out;
}

export async function backendPids(db: string): Promise<number[]> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(pgAdminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ${db}`;
    return rows.map((r) => r.pid);
  } finally {
    await sql.end();
  }
}

/** One statement on the PostgreSQL admin database (CREATE/DROP DATABASE). */
export async function adminSql(statement: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(pgAdminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end();
  }
}
