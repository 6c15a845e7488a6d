// One database handle for both back ends: PGlite (embedded default) and PostgreSQL (postgres.js).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { repoRoot } from '../lib/repo-root';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = path.join(repoRoot, 'db/migrations');

export interface DatabaseOptions {
  /** postgres:// URL; unset means PGlite in `pgliteDir` (or in memory when that is unset too). */
  url?: string | undefined;
  pgliteDir?: string | undefined;
  maxConnections?: number;
}

export function openDatabase(opts: DatabaseOptions): Database {
  if (opts.url) {
    const settings = {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      // Short connect timeout: an unreachable database must become a prompt 503, not a hang.
      connect_timeout: 5,
      // Reconnect at most a second apart (the driver's default backoff grows to 20 s): queries
      // queue behind a reconnecting connection, so a long backoff holds them long after the
      // database is back (the fault matrix measured 20 s answers after a 3 s outage).
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    };
    const socket = socketOf(opts.url);
    const sql = socket
      ? postgres({
          ...settings,
          ...socket,
          user: socket.user ?? 'postgres',
          database: socket.database ?? 'postgres',
        })
      : postgres(opts.url, settings);
    const db = drizzlePostgres(sql, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      migrate: () => migratePostgres(db as never, { migrationsFolder }),
      close: () => sql.end({ timeout: 5 }),
    };
  }
  if (opts.pgliteDir) mkdirSync(opts.pgliteDir, { recursive: true });
  const client = new PGlite(opts.pgliteDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    close: () => client.close(),
  };
}

/**
 * libpq's spelling of a Unix socket, `postgres://user@/db?host=/socket/dir` (the directory holding
 * `.s.PGSQL.<port>`), which postgres.js does not read (it would send `host` to the server as a
 * setting). The embedded database's directory is such a socket directory (db/embedded/).
 */
function socketOf(url: string): { path: string; user?: string; database?: string } | undefined {
  const u = new URL(url);
  const dir = u.searchParams.get('host');
  if (!dir?.startsWith('/')) return undefined;
  return {
    path: path.join(dir, `.s.PGSQL.${u.port || 5432}`),
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { database: decodeURIComponent(u.pathname.slice(1)) } : {}),
  };
}

/**
 * A fixed-text statement on the hot path, as a named prepared statement on each PostgreSQL
 * connection: parsed and planned once per connection, then one Bind/Execute round trip. drizzle
 * sends its unnamed queries with postgres.js's `prepare: false`, which costs every execution a
 * Parse + Describe round trip before the Bind and a fresh parse and plan in the server. Only for
 * statements whose text never varies (postgres.js keeps one entry per distinct text); PGlite runs
 * in-process and gains nothing, so it goes through drizzle as before. Rows as `rowsOf` reads them.
 */
export function executePrepared(db: Db, query: SQL): Promise<unknown> {
  const { $client: client, dialect } = db as unknown as DrizzleInternals;
  if (client instanceof PGlite) return db.execute(query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return client.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
}

/**
 * A drizzle query built once per database handle and run as a prepared statement (`.prepare()`
 * with `sql.placeholder`s): the archive's per-message reads skip drizzle's query building and,
 * on PostgreSQL, the server's parse and plan. Keyed by handle, so a transaction never runs a
 * statement prepared for the pool.
 */
export function preparedQuery<T>(db: Db, name: string, build: (db: Db) => T): T {
  let byName = preparedByDb.get(db);
  if (!byName) {
    byName = new Map();
    preparedByDb.set(db, byName);
  }
  if (!byName.has(name)) byName.set(name, build(db));
  return byName.get(name) as T;
}
const preparedByDb = new WeakMap<Db, Map<string, unknown>>();

/** What drizzle's handle carries besides its typed API (public at run time, untyped on Db). */
interface DrizzleInternals {
  $client: postgres.Sql | PGlite;
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
}

/** Rows of a raw `db.execute`: postgres.js returns the rows themselves, PGlite a result holding them. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}
