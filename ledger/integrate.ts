// Produces a tenant's next checkpoint: the root over every appended leaf, signed as a C2SP note,
// sealed into WORM (COMPLIANCE retention) and only then published in the database. A crash
// between the two leaves a sealed object the next run finds identical and publishes.
import { createHash } from 'node:crypto';
import type { Db } from '../db/client';
import { ledgerCheckpoints } from '../db/schema';
import { tenantRetentionDays } from '../db/tenants';
import { formatCheckpoint, signNote } from '../evidence/checkpoint';
import { ledgerCheckpointKey, retainUntil } from '../worm/keys';
import type { WormStore } from '../worm/store';
import { sequenceLeaves } from './append';
import { type EvidenceDeps, logOrigin } from './deps';
import { extendNodes } from './nodes';
import { latestCheckpoint } from './tree';

export interface IntegrateDeps {
  db: Db;
  worm: WormStore;
  evidence: EvidenceDeps;
}

export interface CadencePolicy {
  /** Integrate at once when this many leaves wait. */
  maxLeaves: number;
  /** Otherwise when the newest checkpoint is older than this. */
  maxAgeMs: number;
}

export const DEFAULT_CADENCE: CadencePolicy = { maxLeaves: 1000, maxAgeMs: 10_000 };

export type IntegrateResult =
  | { integrated: true; treeSize: number; rootHash: string }
  | { integrated: false; pending: number };

export async function integrateIfDue(
  deps: IntegrateDeps,
  tenantId: string,
  cadence: CadencePolicy = DEFAULT_CADENCE,
  now = new Date(),
): Promise<IntegrateResult> {
  // Sequencing first (cheap, every call), so a leaf's index is known within about a second.
  const size = await sequenceLeaves(deps.db, tenantId);
  const last = await latestCheckpoint(deps.db, tenantId);
  const pending = size - (last?.treeSize ?? 0);
  const age = last ? now.getTime() - last.createdAt.getTime() : Number.POSITIVE_INFINITY;
  if (pending <= 0 || (pending < cadence.maxLeaves && age < cadence.maxAgeMs))
    return { integrated: false, pending };
  return integrate(deps, tenantId, size);
}

export async function integrate(deps: IntegrateDeps, tenantId: string, treeSize: number) {
  // From the newest checkpoint's stored subtrees and the leaves after it (not every leaf).
  const rootHash = await extendNodes(deps.db, tenantId, treeSize);
  const origin = logOrigin(deps.evidence.logHost, tenantId);
  const note = signNote(
    formatCheckpoint({ origin, size: treeSize, rootHash }),
    origin,
    deps.evidence.keyring.current,
  );
  const key = ledgerCheckpointKey(tenantId, treeSize);
  const bytes = Buffer.from(note, 'utf8');
  const days = await tenantRetentionDays(deps.db, tenantId);
  // Ed25519 is deterministic, so a retry re-creates identical bytes; if the key was rotated
  // in between, the sealed object wins (put() answers a conflict; we publish what is sealed).
  let sealedNote = note;
  try {
    await deps.worm.put(key, bytes, {
      contentType: 'text/plain; charset=utf-8',
      retainUntil: retainUntil(new Date(), days),
      expectedSha256: createHash('sha256').update(bytes).digest('hex'),
    });
  } catch (err) {
    if ((err as Error).name !== 'WormConflictError') throw err;
    sealedNote = await readAll(await deps.worm.get(key));
  }
  await deps.db
    .insert(ledgerCheckpoints)
    .values({ tenantId, treeSize, rootHash: rootHash.toString('hex'), note: sealedNote, wormKey: key })
    .onConflictDoNothing();
  return { integrated: true as const, treeSize, rootHash: rootHash.toString('hex') };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
