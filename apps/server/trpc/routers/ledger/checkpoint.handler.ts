import { TRPCError } from '@trpc/server';
import { verifierKey } from '../../../../../evidence/checkpoint';
import { logOrigin } from '../../../../../ledger/deps';
import { latestCheckpoint } from '../../../../../ledger/tree';
import type { TenantContext } from '../../trpc';

/** The newest sealed checkpoint, as the signed note and its parts. */
export async function checkpointHandler({ ctx }: { ctx: TenantContext }) {
  const cp = await latestCheckpoint(ctx.db, ctx.principal.tenantId);
  if (!cp) throw new TRPCError({ code: 'NOT_FOUND', message: 'the log has no checkpoint yet' });
  const origin = logOrigin(ctx.evidence.logHost, ctx.principal.tenantId);
  return {
    checkpoint: cp.note,
    tree_size: cp.treeSize,
    root_hash: cp.rootHash,
    origin,
    // For note verifiers (golang.org/x/mod/sumdb/note): one per published key.
    verifier_keys: ctx.evidence.keyring.published.map((k) =>
      verifierKey(origin, Buffer.from(k.public_key, 'base64')),
    ),
    created_at: cp.createdAt.toISOString(),
  };
}
