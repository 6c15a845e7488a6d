import { latestAudit } from '../../../../../ledger/audit';
import { headSize, latestCheckpoint } from '../../../../../ledger/tree';
import type { TenantContext } from '../../trpc';

/** The log's size, its newest checkpoint, and what the last audit found (the UI's banner). */
export async function ledgerStatusHandler({ ctx }: { ctx: TenantContext }) {
  const tenantId = ctx.principal.tenantId;
  const [size, cp, audit] = await Promise.all([
    headSize(ctx.db, tenantId),
    latestCheckpoint(ctx.db, tenantId),
    latestAudit(ctx.db, tenantId),
  ]);
  return {
    tree_size: size,
    pending: size - (cp?.treeSize ?? 0),
    checkpoint: cp
      ? { tree_size: cp.treeSize, root_hash: cp.rootHash, created_at: cp.createdAt.toISOString() }
      : null,
    audit: audit
      ? {
          ran_at: audit.ranAt.toISOString(),
          ok: audit.ok,
          tree_size: audit.treeSize,
          checked_objects: audit.checkedObjects,
          problems: audit.problems,
        }
      : null,
  };
}
