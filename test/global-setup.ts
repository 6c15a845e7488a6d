// Once per test run: a real Temporal dev server, a fresh PostgreSQL database (migrated), and a
// prebuilt workflow bundle. Everything is torn down at the end; nothing depends on leftovers.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWorkflowBundle } from '../apps/worker/worker';
import { openDatabase } from '../db/client';
import { type DevServer, startDevServer } from '../lib/temporal/dev-server';
import { freePort } from './helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    /** A second namespace: Temporal with no memory of the first one's workflow ids. */
    temporalSecondNamespace: string;
    /** The migrated template database: tests use their file's clone (helpers/database.ts). */
    databaseUrl: string;
    adminDatabaseUrl: string;
    workflowBundlePath: string;
    runDir: string;
  }
}

const ADMIN_URL = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let devServer: DevServer | undefined;
let dbName: string | undefined;
let runDir: string | undefined;

export async function setup(project: TestProject) {
  runDir = path.resolve('.test-run', `${Date.now()}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });

  const [bundle, server] = await Promise.all([
    buildWorkflowBundle(path.join(runDir, 'workflow-bundle.js')),
    (async () => {
      const port = await freePort();
      return startDevServer({
        port,
        uiPort: 0,
        namespace: 'default',
        headless: true,
        readyTimeoutMs: 120_000,
      });
    })(),
  ]);
  void bundle;
  devServer = server;

  dbName = `wa_test_${Date.now()}_${process.pid}`;
  const admin = openDatabase({ url: ADMIN_URL, maxConnections: 1 });
  await admin.db.execute(`CREATE DATABASE ${dbName}` as never);
  await admin.close();
  const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const db = openDatabase({ url: databaseUrl, maxConnections: 1 });
  await db.migrate();
  await db.close();
  // Only a template from here on: each test file works in its own clone (helpers/database.ts),
  // and a test that connects to the template by mistake fails at once instead of racing clones.
  const lock = openDatabase({ url: ADMIN_URL, maxConnections: 1 });
  await lock.db.execute(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false` as never);
  await lock.close();

  project.provide('temporalAddress', devServer.address);
  project.provide('temporalNamespace', 'default');
  project.provide('temporalSecondNamespace', 'second');
  project.provide('databaseUrl', databaseUrl);
  project.provide('adminDatabaseUrl', ADMIN_URL);
  project.provide('workflowBundlePath', path.join(runDir, 'workflow-bundle.js'));
  project.provide('runDir', runDir);
}

export async function teardown() {
  await devServer?.stop();
  if (dbName) {
    const admin = openDatabase({ url: ADMIN_URL, maxConnections: 1 });
    // The per-file clones (test/helpers/database.ts), then the template itself.
    const clones = (await admin.db.execute(
      `SELECT datname FROM pg_database WHERE datname LIKE '${dbName}_f%'` as never,
    )) as unknown as { datname: string }[];
    for (const { datname } of clones)
      await admin.db.execute(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)` as never);
    await admin.db.execute(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)` as never);
    await admin.close();
  }
  // Local WORM files are read-only by design; the test run owns them, so chmod is not needed for root.
  if (runDir && !process.env.KEEP_TEST_RUN) rmSync(runDir, { recursive: true, force: true });
}
