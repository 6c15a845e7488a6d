// Appends against real databases (PostgreSQL and PGlite, which also proves migration 0008 runs
// on both): appends are recorded once, sequencing gives dense indexes even when runs overlap.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/client';
import { ledgerLeaves, tenants } from '../db/schema';
import { testDatabaseUrl } from '../test/helpers/database';
import { appendLeaf, sequenceLeaves } from './append';

describe.each(['postgres', 'pglite'] as const)('appendLeaf on %s', (kind) => {
  const opened: Database[] = [];
  const open = async () => {
    const d =
      kind === 'postgres'
        ? openDatabase({ url: await testDatabaseUrl(), maxConnections: 20 })
        : openDatabase({});
    if (kind === 'pglite') await d.migrate();
    opened.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of opened) await d.close();
  });

  it('records 40 concurrent appends once each; concurrent sequencing gives them 0..39 exactly', async () => {
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
    expect(results.every((r) => r.created && r.leafIndex === null)).toBe(true);
    // Exactly one call created the tenant's log (and starts its workflows).
    expect(results.filter((r) => r.firstForTenant)).toHaveLength(1);

    // Overlapping integrator runs (a retried local activity) must not double-assign.
    const sizes = await Promise.all([sequenceLeaves(db, tenantId), sequenceLeaves(db, tenantId, 7)]);
    expect(Math.max(...sizes)).toBe(40);
    expect(await sequenceLeaves(db, tenantId)).toBe(40);
    const rows = await db
      .select({ i: ledgerLeaves.leafIndex })
      .from(ledgerLeaves)
      .where(eq(ledgerLeaves.tenantId, tenantId));
    expect(rows.map((r) => r.i).sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual(inputs.map((_, i) => i));

    const again = await Promise.all(inputs.slice(0, 10).map((i) => appendLeaf(db, i)));
    expect(again.every((r) => !r.created && !r.firstForTenant && r.leafIndex !== null)).toBe(true);
    // The same message with a different manifest is refused, never a second leaf.
    await expect(appendLeaf(db, { ...inputs[0]!, manifestSha256: 'f'.repeat(64) })).rejects.toThrow(
      /another manifest/,
    );
  });
});
