// The ledger audit: rebuilds a tenant's tree from the rows, checks it against the sealed
// checkpoints, and re-verifies a rolling sample of WORM objects against their manifests. It only
// reports (audit log, ledger_audits, ledger.status, the UI banner); it never repairs anything.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, isNull, lt } from 'drizzle-orm';
import { audit } from '../db/audit';
import type { Db } from '../db/client';
import { type LedgerProblem, ledgerAudits, ledgerCheckpoints, ledgerLeaves, messages } from '../db/schema';
import { openNote, parseCheckpoint } from '../evidence/checkpoint';
import { fromBase64 } from '../evidence/hex';
import { CompactRange, type NodeId } from '../evidence/merkle';
import { ledgerCheckpointPrefix } from '../worm/keys';
import type { WormListEntry, WormStore } from '../worm/store';
import { type EvidenceDeps, logOrigin } from './deps';
import { storedNodesInOrder } from './nodes';
import { headSize, leafHashOf } from './tree';

export interface AuditDeps {
  db: Db;
  worm: WormStore;
  evidence: EvidenceDeps;
}

export interface AuditOptions {
  /** Leaves whose WORM objects are re-read this run (rolling over runs); Infinity = all. */
  sample?: number;
  /** How many of the newest sealed checkpoints are re-read from WORM. */
  sealedCheckpoints?: number;
  /** An archived message younger than this may not have its leaf yet (the workflow's next step). */
  graceMs?: number;
  now?: Date;
}

export interface AuditReport {
  tenantId: string;
  ok: boolean;
  treeSize: number;
  checkedObjects: number;
  problems: LedgerProblem[];
}

const MAX_REPORTED = 1000;

export async function auditTenant(
  deps: AuditDeps,
  tenantId: string,
  opts: AuditOptions = {},
): Promise<AuditReport> {
  const { db } = deps;
  const now = opts.now ?? new Date();
  const problems: LedgerProblem[] = [];
  const report = (p: LedgerProblem) => problems.length < MAX_REPORTED && problems.push(p);

  const all = await db
    .select({
      leafIndex: ledgerLeaves.leafIndex,
      messageId: ledgerLeaves.messageId,
      manifestSha256: ledgerLeaves.manifestSha256,
      manifestKey: ledgerLeaves.manifestKey,
      msgId: messages.id,
      msgManifestKey: messages.manifestKey,
      msgTenant: messages.tenantId,
    })
    .from(ledgerLeaves)
    .leftJoin(messages, eq(messages.id, ledgerLeaves.messageId))
    .where(eq(ledgerLeaves.tenantId, tenantId))
    .orderBy(asc(ledgerLeaves.leafIndex));
  // Leaves the integrator has not sequenced yet (at most about a second old) are not in the tree.
  const leaves = all.flatMap((l) => (l.leafIndex === null ? [] : [{ ...l, leafIndex: l.leafIndex }]));
  const checkpoints = await db
    .select()
    .from(ledgerCheckpoints)
    .where(eq(ledgerCheckpoints.tenantId, tenantId))
    .orderBy(asc(ledgerCheckpoints.treeSize));
  const size = await headSize(db, tenantId);

  // 1. The rows against themselves: dense indexes, each leaf's message present and unchanged.
  let expected = 0;
  for (const leaf of leaves) {
    for (; expected < leaf.leafIndex; expected++)
      report({
        kind: 'leaf_missing',
        leafIndex: expected,
        detail: `leaf ${expected} is gone from the database`,
      });
    expected = leaf.leafIndex + 1;
    if (!leaf.msgId || leaf.msgTenant !== tenantId)
      report({
        kind: 'message_row_missing',
        messageId: leaf.messageId,
        leafIndex: leaf.leafIndex,
        detail: 'logged message has no row',
      });
    else if (leaf.msgManifestKey !== leaf.manifestKey)
      report({
        kind: 'message_altered',
        messageId: leaf.messageId,
        leafIndex: leaf.leafIndex,
        detail: 'manifest key differs from the logged one',
      });
  }
  for (; expected < size; expected++)
    report({
      kind: 'leaf_missing',
      leafIndex: expected,
      detail: `leaf ${expected} is gone from the database`,
    });

  // 2. Archived messages the log never saw: an inserted (forged) row, or a lost append.
  const unlogged = await db
    .select({ id: messages.id })
    .from(messages)
    .leftJoin(ledgerLeaves, eq(ledgerLeaves.messageId, messages.id))
    .where(
      and(
        eq(messages.tenantId, tenantId),
        eq(messages.status, 'archived'),
        isNull(ledgerLeaves.messageId),
        lt(messages.updatedAt, new Date(now.getTime() - (opts.graceMs ?? 60_000))),
      ),
    )
    .limit(MAX_REPORTED);
  for (const m of unlogged)
    report({ kind: 'unlogged_message', messageId: m.id, detail: 'archived message is not in the log' });

  // 3. What WORM holds, whatever the rows say: every sealed checkpoint object of the tenant.
  const sealed = new Map<string, WormListEntry>();
  for await (const o of deps.worm.list(ledgerCheckpointPrefix(tenantId))) sealed.set(o.key, o);
  const rowKeys = new Set(checkpoints.map((c) => c.wormKey));
  // An object without its row: the row was deleted (or, within the grace, is being published:
  // the integrator seals first, then inserts the row).
  const orphans = [...sealed.values()].filter(
    (o) => !rowKeys.has(o.key) && o.lastModified.getTime() < now.getTime() - (opts.graceMs ?? 60_000),
  );

  // 4. The tree rebuilt from the rows against every checkpoint, row or sealed object.
  const range = new CompactRange();
  const rootAt = new Map<number, string>();
  const sizes = new Set(checkpoints.map((c) => c.treeSize));
  for (const o of orphans) sizes.add(checkpointSizeOf(o.key));
  if (sizes.has(0)) rootAt.set(0, range.root().toString('hex'));
  // The stored subtrees (ledger_nodes, what proofs are built from) are checked against the
  // rebuild in the same pass: both come in completion order.
  const stored = await storedNodesInOrder(db, tenantId);
  const sealedSize = checkpoints.at(-1)?.treeSize ?? 0;
  const nodeIssues: { level: number; index: number; why: string }[] = [];
  let j = 0;
  const order = (level: number, index: number) => [(index + 1) * 2 ** level, level] as const;
  const before = (a: readonly [number, number], b: readonly [number, number]) =>
    a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const onNode = (id: NodeId, hash: Buffer) => {
    const at = order(id.level, id.index);
    for (; j < stored.length && before(order(stored[j]!.level, stored[j]!.idx), at); j++)
      nodeIssues.push({
        level: stored[j]!.level,
        index: stored[j]!.idx,
        why: 'is not a subtree of the rows',
      });
    const s = stored[j];
    if (s && s.level === id.level && s.idx === id.index) {
      j++;
      if (!s.hash.equals(hash)) nodeIssues.push({ ...id, why: 'differs from the rows' });
    } else if (at[0] <= sealedSize) nodeIssues.push({ ...id, why: 'is missing' });
  };
  for (const leaf of leaves) {
    range.append(leafHashOf(leaf.manifestSha256), onNode);
    if (sizes.has(range.size)) rootAt.set(range.size, range.root().toString('hex'));
  }
  for (; j < stored.length; j++)
    nodeIssues.push({ level: stored[j]!.level, index: stored[j]!.idx, why: 'is beyond the rows' });
  for (const n of nodeIssues.slice(0, 10))
    report({
      kind: 'node_mismatch',
      detail: `stored subtree level ${n.level} index ${n.index} ${n.why}${nodeIssues.length > 10 ? ` (${nodeIssues.length} such nodes in all)` : ''}`,
    });
  for (const c of checkpoints) {
    const rebuilt = rootAt.get(c.treeSize);
    if (rebuilt !== c.rootHash)
      report({
        kind: 'checkpoint_mismatch',
        treeSize: c.treeSize,
        detail: 'the rows no longer hash to this checkpoint',
      });
  }
  const origin = logOrigin(deps.evidence.logHost, tenantId);
  const verifiers = deps.evidence.keyring.published.map((k) => ({
    name: origin,
    publicKey: fromBase64(k.public_key),
  }));
  for (const o of orphans) {
    const treeSize = checkpointSizeOf(o.key);
    const note = await readObject(deps.worm, o.key);
    let agrees = false;
    try {
      const cp = parseCheckpoint(openNote(note?.toString('utf8') ?? '', verifiers).body);
      agrees = cp.size === treeSize && rootAt.get(cp.size) === cp.rootHash.toString('hex');
    } catch {}
    report({
      kind: 'checkpoint_row_missing',
      treeSize,
      key: o.key,
      detail: agrees
        ? 'sealed checkpoint has no row (it matches the rows: its row was deleted)'
        : 'sealed checkpoint has no row, and does not match the rows',
    });
  }
  // Every row has its object, of the same size; the bytes of the newest and of a rolling window
  // of the older ones are compared in full (signature included).
  const unsealed = new Set<number>();
  for (const c of checkpoints) {
    const o = sealed.get(c.wormKey);
    if (!o) {
      unsealed.add(c.treeSize);
      report({
        kind: 'checkpoint_unsealed',
        treeSize: c.treeSize,
        key: c.wormKey,
        detail: 'sealed checkpoint object missing',
      });
    } else if (o.size !== Buffer.byteLength(c.note, 'utf8'))
      report({
        kind: 'checkpoint_mismatch',
        treeSize: c.treeSize,
        key: c.wormKey,
        detail: 'checkpoint row differs from its sealed object',
      });
  }
  const [prev] = await db.select().from(ledgerAudits).where(eq(ledgerAudits.tenantId, tenantId));
  const window = opts.sealedCheckpoints ?? 20;
  const older = checkpoints.slice(0, -window);
  const cpStart = older.length > 0 ? (prev?.checkpointCursor ?? 0) % older.length : 0;
  const rolling =
    older.length > 0
      ? Array.from({ length: Math.min(window, older.length) }, (_, k) => older[(cpStart + k) % older.length]!)
      : [];
  for (const c of [...rolling, ...checkpoints.slice(-window)]) {
    if (unsealed.has(c.treeSize)) continue;
    const bytes = await readObject(deps.worm, c.wormKey);
    if (!bytes) {
      report({
        kind: 'checkpoint_unsealed',
        treeSize: c.treeSize,
        key: c.wormKey,
        detail: 'sealed checkpoint object missing',
      });
      continue;
    }
    const sealedNote = bytes.toString('utf8');
    try {
      const cp = parseCheckpoint(openNote(sealedNote, verifiers).body);
      const rebuilt = rootAt.get(cp.size);
      if (cp.size !== c.treeSize || rebuilt !== cp.rootHash.toString('hex') || sealedNote !== c.note)
        report({
          kind: 'checkpoint_mismatch',
          treeSize: c.treeSize,
          key: c.wormKey,
          detail: 'sealed checkpoint disagrees with the rows',
        });
    } catch {
      report({
        kind: 'checkpoint_mismatch',
        treeSize: c.treeSize,
        key: c.wormKey,
        detail: 'sealed checkpoint does not verify',
      });
    }
  }

  // 5. A rolling sample of objects: manifest bytes = leaf; raw body and record = manifest.
  const sample = Math.min(opts.sample ?? deps.evidence.auditSample, leaves.length);
  const start = leaves.length > 0 ? (prev?.sampleCursor ?? 0) % leaves.length : 0;
  let checkedObjects = 0;
  for (let k = 0; k < sample; k++) {
    const leaf = leaves[(start + k) % leaves.length] as (typeof leaves)[number];
    checkedObjects += await checkMessageObjects(deps, tenantId, leaf, report);
  }

  const ok = problems.length === 0;
  const row = {
    tenantId,
    ranAt: now,
    ok,
    treeSize: size,
    checkedObjects,
    problems,
    sampleCursor: leaves.length > 0 ? (start + sample) % leaves.length : 0,
    checkpointCursor: older.length > 0 ? (cpStart + rolling.length) % older.length : 0,
  };
  await db.insert(ledgerAudits).values(row).onConflictDoUpdate({ target: ledgerAudits.tenantId, set: row });
  await audit(db, {
    tenantId,
    actor: 'worker',
    action: ok ? 'ledger.audit_passed' : 'ledger.audit_failed',
    targetType: 'ledger',
    targetId: tenantId,
    details: {
      treeSize: size,
      checkedObjects,
      problems: problems.slice(0, 50),
      problemCount: problems.length,
    },
  });
  return { tenantId, ok, treeSize: size, checkedObjects, problems };
}

type Leaf = { leafIndex: number; messageId: string; manifestSha256: string; manifestKey: string };

async function checkMessageObjects(
  deps: AuditDeps,
  tenantId: string,
  leaf: Leaf,
  report: (p: LedgerProblem) => void,
): Promise<number> {
  const at = { messageId: leaf.messageId, leafIndex: leaf.leafIndex };
  const manifestBytes = await readObject(deps.worm, leaf.manifestKey);
  if (!manifestBytes) {
    report({ kind: 'object_missing', ...at, key: leaf.manifestKey, detail: 'manifest object missing' });
    return 1;
  }
  if (sha256(manifestBytes) !== leaf.manifestSha256) {
    report({
      kind: 'object_altered',
      ...at,
      key: leaf.manifestKey,
      detail: 'manifest bytes differ from the leaf',
    });
    return 1;
  }
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as {
    message_id: string;
    external_id: string;
    tenant_id: string;
    endpoint: { id: string };
    raw_body: { key: string; sha256: string };
    record: { key: string; sha256: string };
  };
  const [msg] = await deps.db
    .select({
      id: messages.id,
      tenantId: messages.tenantId,
      endpointId: messages.endpointId,
      externalId: messages.externalId,
      rawSha256: messages.rawSha256,
    })
    .from(messages)
    .where(eq(messages.id, leaf.messageId));
  if (
    msg &&
    (msg.rawSha256 !== manifest.raw_body.sha256 ||
      msg.externalId !== manifest.external_id ||
      msg.endpointId !== manifest.endpoint.id ||
      msg.tenantId !== tenantId)
  )
    report({ kind: 'message_altered', ...at, detail: 'message row differs from its sealed manifest' });
  let checked = 1;
  for (const obj of [manifest.raw_body, manifest.record]) {
    checked++;
    const bytes = await readObject(deps.worm, obj.key);
    if (!bytes) report({ kind: 'object_missing', ...at, key: obj.key, detail: 'sealed object missing' });
    else if (sha256(bytes) !== obj.sha256)
      report({
        kind: 'object_altered',
        ...at,
        key: obj.key,
        detail: 'sealed object differs from its manifest',
      });
  }
  return checked;
}

async function readObject(worm: WormStore, key: string): Promise<Buffer | null> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of await worm.get(key)) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  } catch (err) {
    if ((err as Error).name === 'WormNotFoundError') return null;
    if ((err as Error).name === 'WormIntegrityError') return Buffer.alloc(0);
    throw err;
  }
}

/** The tree size a sealed checkpoint's key names (…/ledger/checkpoints/<size>). */
const checkpointSizeOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The latest audit of a tenant, or null before the first run. */
export async function latestAudit(db: Db, tenantId: string) {
  const [row] = await db
    .select()
    .from(ledgerAudits)
    .where(eq(ledgerAudits.tenantId, tenantId))
    .orderBy(desc(ledgerAudits.ranAt));
  return row ?? null;
}
