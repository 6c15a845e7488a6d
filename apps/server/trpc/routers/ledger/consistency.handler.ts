import { TRPCError } from '@trpc/server';
import { consistencyProofFor } from '../../../../../ledger/nodes';
import { latestCheckpoint } from '../../../../../ledger/tree';
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
  const hashes = await consistencyProofFor(ctx.db, ctx.principal.tenantId, input.from, input.to);
  return { from: input.from, to: input.to, hashes: hashes.map((h) => h.toString('hex')) };
}
