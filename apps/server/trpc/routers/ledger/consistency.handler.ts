import { TRPCError } from '@trpc/server';
import { consistencyProof } from '../../../../../evidence/merkle';
import { latestCheckpoint, loadLeafHashes } from '../../../../../ledger/tree';
import type { TenantContext } from '../../trpc';
import type { ConsistencyInput } from './consistency.schema';

/** RFC 9162 consistency proof between two tree sizes, both within the newest sealed checkpoint. */
export async function consistencyHandler({ ctx, input }: { ctx: TenantContext; input: ConsistencyInput }) {
  const cp = await latestCheckpoint(ctx.db, ctx.principal.tenantId);
  if (!cp || input.to > cp.treeSize)
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `to must be at most the sealed tree size (${cp?.treeSize ?? 0})`,
    });
  const leaves = await loadLeafHashes(ctx.db, ctx.principal.tenantId, input.to);
  return {
    from: input.from,
    to: input.to,
    hashes: consistencyProof(leaves, input.from, input.to).map((h) => h.toString('hex')),
  };
}
