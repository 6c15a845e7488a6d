// Stored subtrees (ledger_nodes) against real databases (PostgreSQL and PGlite): the integrator
// writes them as checkpoints are made, proofs built from them equal the ones from all leaves,
// a missing or altered node never yields a wrong proof, and the audit (which rebuilds from the
// leaves) reports it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/client';
import { ledgerNodes, tenants } from '../db/schema';
import { fromHex } from '../evidence/hex';
import { consistencyProof, inclusionProof, leafHash, rootFromLeafHashes } from '../evidence/merkle';
import { openKeyring } from '../evidence/signing-key';
import { testDatabaseUrl } from '../test/helpers/database';
import { LocalWormStore } from '../worm/local-store';
import { appendLeaf } from './append';
import { auditTenant } from './audit';
import type { EvidenceDeps } from './deps';
import { integrateIfDue } from './integrate';
import { consistencyProofFor, inclusionProofFor } from './nodes';
import { latestCheckpoint, loadLeafHashes } from './tree';

describe.each(['postgres', 'pglite'] as const)('ledger_nodes on %s', (kind) => {
  let database: Database;
  afterAll(() => database?.close());

  it('proofs from stored subtrees equal the leaf-computed ones; tampering is caught', async () => {
    database = kind === 'postgres' ? openDatabase({ url: await testDatabaseUrl() }) : openDatabase({});
    if (kind === 'pglite') await database.migrate();
    const { db } = database;
    const dir = mkdtempSync(path.join(tmpdir(), 'ledger-nodes-'));
    const evidence: EvidenceDeps = {
      keyring: openKeyring({ DATA_DIR: dir }),
      logHost: 'archive.test',
      auditSample: 0,
      auditIntervalSeconds: 3600,
    };
    const deps = { db, worm: new LocalWormStore(path.join(dir, 'worm')), evidence };
    const [t] = await db
      .insert(tenants)
      .values({ name: `nodes-${kind}` })
      .returning();
    const tenantId = t!.id;
    const every = { maxLeaves: 1, maxAgeMs: 0 };

    // Checkpoints at uneven sizes, so each continues from the last one's subtrees.
    let appended = 0;
    for (const size of [1, 2, 7, 64, 100, 181]) {
      for (; appended < size; appended++)
        await appendLeaf(db, {
          tenantId,
          messageId: randomUUID(),
          manifestSha256: appended.toString(16).padStart(64, '0'),
          manifestKey: `k${appended}`,
        });
      expect(await integrateIfDue(deps, tenantId, every)).toMatchObject({ integrated: true, treeSize: size });
    }
    const leaves = await loadLeafHashes(db, tenantId, 181);
    const cp = (await latestCheckpoint(db, tenantId))!;
    expect(cp.rootHash).toBe(rootFromLeafHashes(leaves).toString('hex'));
    // Every perfect subtree of two or more leaves within 181: 90 + 45 + 22 + 11 + 5 + 2 + 1.
    const nodeCount = async () =>
      (await db.select({ n: count() }).from(ledgerNodes).where(eq(ledgerNodes.tenantId, tenantId)))[0]!.n;
    expect(await nodeCount()).toBe(176);

    const root = fromHex(cp.rootHash);
    for (const i of [0, 1, 63, 64, 100, 127, 128, 179, 180])
      expect(await inclusionProofFor(db, tenantId, i, 181, leaves[i]!, root)).toEqual(
        inclusionProof(leaves, i, 181),
      );
    for (const [m, n] of [
      [1, 181],
      [7, 100],
      [64, 181],
      [100, 181],
      [181, 181],
    ] as const)
      expect(await consistencyProofFor(db, tenantId, m, n)).toEqual(consistencyProof(leaves, m, n));

    const nodeProblems = async () =>
      (await auditTenant(deps, tenantId, { sample: 0, graceMs: 0 })).problems.filter(
        (p) => p.kind === 'node_mismatch' || p.kind.startsWith('checkpoint_'),
      );
    expect(await nodeProblems()).toEqual([]);

    // An altered node: the proof handed out is still right (checked against the signed root
    // and rebuilt from the leaves), and the audit names the node.
    const at = (level: number, idx: number) =>
      and(eq(ledgerNodes.tenantId, tenantId), eq(ledgerNodes.level, level), eq(ledgerNodes.idx, idx));
    await db
      .update(ledgerNodes)
      .set({ hash: leafHash(Buffer.from('forged')) })
      .where(at(6, 1));
    expect(await inclusionProofFor(db, tenantId, 5, 181, leaves[5]!, root)).toEqual(
      inclusionProof(leaves, 5, 181),
    );
    expect(await nodeProblems()).toEqual([
      expect.objectContaining({
        kind: 'node_mismatch',
        detail: expect.stringContaining('level 6 index 1 differs'),
      }),
    ]);
    // A deleted node: the proof falls back to the leaves, the audit reports it missing.
    await db.delete(ledgerNodes).where(at(6, 1));
    expect(await inclusionProofFor(db, tenantId, 5, 181, leaves[5]!, root)).toEqual(
      inclusionProof(leaves, 5, 181),
    );
    expect(await nodeProblems()).toEqual([
      expect.objectContaining({
        kind: 'node_mismatch',
        detail: expect.stringContaining('level 6 index 1 is missing'),
      }),
    ]);

    // A log from before ledger_nodes (no nodes at all): the next checkpoint stores them all.
    await db.delete(ledgerNodes).where(eq(ledgerNodes.tenantId, tenantId));
    expect(await consistencyProofFor(db, tenantId, 64, 181)).toEqual(consistencyProof(leaves, 64, 181));
    await appendLeaf(db, {
      tenantId,
      messageId: randomUUID(),
      manifestSha256: 'f'.repeat(64),
      manifestKey: 'kf',
    });
    expect(await integrateIfDue(deps, tenantId, every)).toMatchObject({ integrated: true, treeSize: 182 });
    expect(await nodeCount()).toBe(176 + 1); // 182 adds the pair (180, 181)
    expect(await nodeProblems()).toEqual([]);
  }, 60_000);
});
