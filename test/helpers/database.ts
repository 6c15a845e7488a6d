// Each test file gets its own PostgreSQL database, cloned from the migrated template that global
// setup made. Files run in parallel, and every stack runs a relay whose sweep claims any receipt
// owed a start: on a shared database one file's stack would start (onto its own task queue) the
// orphaned receipts another file is testing the recovery of. Stacks within one file share it.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { openDatabase } from '../../db/client';

let fileDatabase: Promise<string> | undefined;

/** This test file's database URL (created on first use, dropped by global teardown). */
export function testDatabaseUrl(): Promise<string> {
  fileDatabase ??= cloneTemplate();
  return fileDatabase;
}

async function cloneTemplate(): Promise<string> {
  const template = new URL(inject('databaseUrl')).pathname.slice(1);
  const name = `${template}_f${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = openDatabase({ url: inject('adminDatabaseUrl'), maxConnections: 1 });
  try {
    // Two files cloning at the same moment can find the template "being accessed": try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.db.execute(`CREATE DATABASE ${name} TEMPLATE ${template}` as never);
        break;
      } catch (err) {
        if (attempt >= 20 || !/being accessed/.test(String((err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.close();
  }
  return inject('adminDatabaseUrl').replace(/\/[^/]*$/, `/${name}`);
}
