import { TRPCError } from '@trpc/server';
import { formatTlogProof } from '../../../../../evidence/checkpoint';
import { fromHex } from '../../../../../evidence/hex';
import { inclusionProofFor } from '../../../../../ledger/nodes';
import { checkpointCovering, leafHashOf, leafOfMessage } from '../../../../../ledger/tree';
import type { TenantContext } from '../../trpc';
import type { MessageIdInput } from './get.schema';

/** Inclusion proof of the message's leaf in the newest sealed checkpoint, also as a C2SP tlog-proof. */
export async function messageProofHandler({ ctx, input }: { ctx: TenantContext; input: MessageIdInput }) {
  const tenantId = ctx.principal.tenantId;
  const leaf = await leafOfMessage(ctx.db, tenantId, input.id);
  if (!leaf)
    throw new TRPCError({ code: 'NOT_FOUND', message: `message ${input.id} is not in the log (yet)` });
  const leafIndex = leaf.leafIndex;
  const cp = leafIndex === null ? undefined : await checkpointCovering(ctx.db, tenantId, leafIndex);
  if (!cp || leafIndex === null)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: 'the message is logged but not yet in a sealed checkpoint; retry in a few seconds',
    });
  const leafHash = leafHashOf(leaf.manifestSha256);
  // O(log n) stored subtrees, checked against the checkpoint's root (ledger/nodes.ts).
  const hashes = await inclusionProofFor(
    ctx.db,
    tenantId,
    leafIndex,
    cp.treeSize,
    leafHash,
    fromHex(cp.rootHash),
  );
  return {
    leaf_index: leafIndex,
    tree_size: cp.treeSize,
    leaf_hash: leafHash.toString('hex'),
    manifest_sha256: leaf.manifestSha256,
    hashes: hashes.map((h) => h.toString('hex')),
    checkpoint: cp.note,
    tlog_proof: formatTlogProof({ index: leafIndex, hashes, checkpoint: cp.note }),
  };
}
