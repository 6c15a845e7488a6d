// The archive steps the workflow runs, merged into as few as idempotence allows: each local
// activity costs worker CPU and a marker in the history, so validate + persist + inline
// attachments are one step (prepare) and the WORM commit + archived mark + ledger leaf another
// (seal). Each re-reads the receipt, so a retry after a crash starts from the store of record.
import { finishReceipt } from '../db/receipts';
import type { ArchiveMessageInput } from '../workflows/types';
import { storeAttachments } from './attachments';
import { commitWorm, loadSealContext } from './commit-worm';
import type { ActivityDeps } from './deps';
import { startTenantLedger } from './ledger';
import { loadMessageContext, loadReceiptContext, parseOrFail } from './message-context';
import { markArchived, type PersistResult, persistMessage, recordFailure } from './persist';

export type PrepareResult = PersistResult & { inline: number; urlOrdinals: number[] };

export function createArchiveActivities(deps: ActivityDeps) {
  const { db, worm, log } = deps;
  return {
    /** Validates the stored message, writes its row and seals its inline attachments. */
    async prepare(input: ArchiveMessageInput): Promise<PrepareResult> {
      const { ctx, message } = await loadMessageContext(db, worm, input);
      const parsed = parseOrFail(message);
      const { result: persisted, earlierAttachments } = await persistMessage(db, log, ctx, parsed);
      if (persisted.duplicate && (persisted.conflict || persisted.alreadyArchived)) {
        return { ...persisted, inline: 0, urlOrdinals: [] };
      }
      return { ...persisted, ...(await storeAttachments(deps, ctx, parsed.payload, earlierAttachments)) };
    },

    /**
     * Seals everything in WORM (manifest last), then, in one statement, marks the message and its
     * receipt archived and records the manifest's hash as the message's leaf in the tenant's log.
     */
    async seal(input: ArchiveMessageInput): Promise<{ manifestKey: string; manifestSha256: string }> {
      const sealing = await loadSealContext(db, worm, input);
      const sealed = await commitWorm(deps, sealing);
      const { firstForTenant } = await markArchived(db, sealing.ctx, sealed);
      if (firstForTenant) await startTenantLedger(deps, input.tenantId);
      return sealed;
    },

    /** A duplicate of an archived message: its receipt is settled, nothing else to do. */
    async settleDuplicate(input: ArchiveMessageInput): Promise<void> {
      await finishReceipt(db, input.messageId, { state: 'archived' });
    },

    async recordFailure(input: ArchiveMessageInput, reason: string): Promise<void> {
      const { ctx } = await loadReceiptContext(db, input);
      await recordFailure(db, ctx, reason);
    },
  };
}
