// The embedded database as the all-in-one process sees it: PGlite in a child process of its own
// (process.ts), kept alive like the embedded Temporal dev server, and reached over a Unix socket
// with postgres.js (openDatabase's socketPath). The child stops after the parent has closed its
// connections, or by itself when the parent dies.
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Supervised, type SupervisorOptions, stopChild, supervise } from '../../lib/child-process';
import { repoRoot } from '../../lib/repo-root';

export interface EmbeddedDatabaseOptions {
  /** PGlite's data directory. */
  pgliteDir: string;
  /** The socket's directory (socketDirFor). */
  socketDir: string;
  readyTimeoutMs?: number;
}

export interface EmbeddedDatabase extends Supervised {
  socketPath: string;
  /** The database as a libpq-style URL (psql, DATABASE_URL for another process). */
  url: string;
}

/**
 * The socket's directory, DATA_DIR/pglite-socket/, holding it under libpq's name (`.s.PGSQL.5432`)
 * so psql and a DATABASE_URL reach the running database too (`psql -h <dir> -U postgres`,
 * `postgres://postgres@localhost/postgres?host=<dir>`); unless that path is too long for a Unix socket
 * (108 bytes on Linux): then a directory under the temporary one, named after the data directory.
 */
export function socketDirFor(dataDir: string): string {
  const beside = path.join(path.resolve(dataDir), 'pglite-socket');
  if (Buffer.byteLength(path.join(beside, SOCKET_FILE)) <= 100) return beside;
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(tmpdir(), `webhook-archive-${id}`);
}

const SOCKET_FILE = '.s.PGSQL.5432';

/** The child's entry: the TypeScript source under tsx, the bundle's sibling when compiled. */
function entry(): string {
  if (import.meta.url.endsWith('.ts')) return path.join(repoRoot, 'db/embedded/process.ts');
  // scripts/build-app.ts emits it as `database.js` next to the entry that is running (main.js).
  return path.join(path.dirname(process.argv[1] ?? path.join(repoRoot, 'dist/app/main.js')), 'database.js');
}

function launch(opts: EmbeddedDatabaseOptions): Promise<ChildProcess> {
  mkdirSync(opts.pgliteDir, { recursive: true });
  mkdirSync(opts.socketDir, { recursive: true, mode: 0o700 }); // the socket has no password
  const child = fork(entry(), [], {
    env: {
      ...process.env,
      PGLITE_DIR: opts.pgliteDir,
      PGLITE_SOCKET: path.join(opts.socketDir, SOCKET_FILE),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.kill('SIGKILL');
      reject(new Error(`embedded database (PGlite process) ${why}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited before it was ready (code=${code} signal=${signal})`);
    const onMessage = (m: unknown) => {
      if (m !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(child);
    };
    child.once('exit', onExit);
    child.on('message', onMessage);
  });
}

/** Asks the child to close PGlite cleanly (over IPC; SIGTERM if that is gone), SIGKILL after 15 s. */
function stopDatabase(child: ChildProcess): Promise<void> {
  return stopChild(child, 15_000, (c) => (c.connected ? c.send('stop') : c.kill('SIGTERM')));
}

export async function superviseEmbeddedDatabase(
  opts: EmbeddedDatabaseOptions,
  sup: SupervisorOptions = {},
): Promise<EmbeddedDatabase> {
  return {
    socketPath: path.join(opts.socketDir, SOCKET_FILE),
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(opts.socketDir)}`,
    ...(await supervise(() => launch(opts), sup, stopDatabase)),
  };
}
