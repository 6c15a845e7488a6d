// A PostgreSQL cluster of our own (Debian's initdb/pg_ctl in a temp dir), so a test can SIGKILL
// the database server and start it again — the machine's shared server must never be killed.
// initdb refuses to run as root: as root, the cluster's commands run as the `postgres` user.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { childPids } from './processes';

const BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  url: string;
  port: number;
  dir: string;
  /** The postmaster's pid (from postmaster.pid). */
  pid(): number;
  /** SIGKILL of the postmaster and every backend at once: a crash, no shutdown checkpoint. */
  kill(): void;
  /** Starts it again on the same port and data directory (crash recovery replays the WAL). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres user to run initdb as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function run(user: ReturnType<typeof pgUser>, bin: string, args: string[]): void {
  const full = path.join(BIN_DIR, bin);
  const [cmd, argv] = user ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
  try {
    execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${bin} ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** `dir` must be reachable by the postgres user when running as root (a dir under /tmp is). */
export async function createPgCluster(opts: { dir: string; port: number }): Promise<PgCluster> {
  const user = pgUser();
  mkdirSync(opts.dir, { recursive: true });
  if (user) chownSync(opts.dir, user.uid, user.gid);
  const dataDir = path.join(opts.dir, 'data');
  run(user, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOpts = [
    `-p ${opts.port}`,
    `-k ${opts.dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=200',
    // Durable commits, as in production: a SIGKILL must not lose an acknowledged receipt.
    '-c fsync=on',
    '-c synchronous_commit=on',
  ].join(' ');
  const start = async () =>
    run(user, 'pg_ctl', [
      '-D',
      dataDir,
      '-o',
      serverOpts,
      '-l',
      path.join(opts.dir, 'server.log'),
      '-w',
      'start',
    ]);
  const pid = () => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${opts.port}/postgres`,
    port: opts.port,
    dir: opts.dir,
    pid,
    kill() {
      const postmaster = pid();
      for (const p of [...childPids(postmaster), postmaster]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    start,
    async stop() {
      try {
        run(user, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
      } catch {
        // not running
      }
    },
  };
}
