// The embedded database as the all-in-one process sees it: PGlite in a child process of its own
// (process.ts), kept alive like the embedded Temporal dev server, and reached over a Unix socket
// with postgres.js (its URL, libpq's socket spelling: db/client.ts). The child stops after the parent has closed its
// connections, or by itself when the parent dies.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  appEntry,
  forkReady,
  type Supervised,
  type SupervisorOptions,
  stopChild,
  supervise,
} from '../../lib/child-process';

export interface EmbeddedDatabaseOptions {
  /** PGlite's data directory. */
  pgliteDir: string;
  /** The socket's directory (socketDirFor). */
  socketDir: string;
}

export interface EmbeddedDatabase extends Supervised {
  /** The socket's directory (psql -h). */
  socketDir: string;
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

function launch(opts: EmbeddedDatabaseOptions): Promise<ChildProcess> {
  mkdirSync(opts.pgliteDir, { recursive: true });
  mkdirSync(opts.socketDir, { recursive: true, mode: 0o700 }); // the socket has no password
  return forkReady(appEntry('db/embedded/process.ts', 'database.js'), 'embedded database (PGlite process)', {
    env: {
      ...process.env,
      PGLITE_DIR: opts.pgliteDir,
      PGLITE_SOCKET: path.join(opts.socketDir, SOCKET_FILE),
    },
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
    socketDir: opts.socketDir,
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(opts.socketDir)}`,
    ...(await supervise(() => launch(opts), sup, stopDatabase)),
  };
}
