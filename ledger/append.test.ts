// Appends against real databases (PostgreSQL and PGlite, which also proves migration 0008 runs
// on both): dense indexes under concurrency, and a retry returns the leaf it already has.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../db/client';
import { ledgerLeaves, tenants } from '../db/schema';
import { appendLeaf } from './append';

describe.each(['postgres', 'pglite'] as const)('appendLeaf on %s', (kind) => {
  const opened: Database[] = [];
  const open = async () => {
    const d =
      kind === 'postgres'
        ? openDatabase({ url: inject('databaseUrl'), maxConnections: 20 })
        : openDatabase({});
    if (kind === 'pglite') await d.migrate();
    opened.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of opened) await d.close();
  });

  it('gives 40 concurrent appends the indexes 0..39, once each; retries find their leaf', async () => {
    const { db } = await open();
    const [t] = await db
      .insert(tenants)
      .values({ name: `ledger-${kind}` })
      .returning();
    const tenantId = t!.id;
    const inputs = Array.from({ length: 40 }, (_, i) => ({
      tenantId,
      messageId: randomUUID(),
      manifestSha256: i.toString(16).padStart(64, '0'),
      manifestKey: `tenants/${tenantId}/messages/${i}/manifest.json`,
    }));
    const results = await Promise.all(inputs.map((i) => appendLeaf(db, i)));
    expect(results.map((r) => r.leafIndex).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
    expect(results.every((r) => r.created)).toBe(true);

    const again = await Promise.all(inputs.slice(0, 10).map((i) => appendLeaf(db, i)));
    expect(again).toEqual(results.slice(0, 10).map((r) => ({ leafIndex: r.leafIndex, created: false })));
    const rows = await db
      .select({ i: ledgerLeaves.leafIndex })
      .from(ledgerLeaves)
      .where(eq(ledgerLeaves.tenantId, tenantId));
    expect(rows).toHaveLength(40);
  });
});
