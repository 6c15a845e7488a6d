import { router, tenantProcedure } from '../../trpc';
import { messageCountsHandler } from './counts.handler';
import { ZMessageCountsInput } from './counts.schema';
import { getMessageHandler } from './get.handler';
import { ZMessageIdInput } from './get.schema';
import { setLegalHoldHandler } from './legal-hold.handler';
import { ZSetLegalHoldInput } from './legal-hold.schema';
import { listMessagesHandler } from './list.handler';
import { ZListMessagesInput } from './list.schema';
import { messageProofHandler } from './proof.handler';
import { messageReceiptHandler } from './receipt.handler';
import { reconcileHandler } from './reconcile.handler';
import { ZReconcileInput } from './reconcile.schema';
import { reprocessMessageHandler } from './reprocess.handler';
import { searchMessagesHandler } from './search.handler';
import { ZSearchMessagesInput } from './search.schema';
import { verifyMessageHandler } from './verify.handler';
import { ZVerifyMessageInput } from './verify.schema';
import { messageVolumeHandler } from './volume.handler';
import { ZMessageVolumeInput } from './volume.schema';

export const messagesRouter = router({
  get: tenantProcedure.input(ZMessageIdInput).query(getMessageHandler),
  list: tenantProcedure.input(ZListMessagesInput).query(listMessagesHandler),
  counts: tenantProcedure.input(ZMessageCountsInput).query(messageCountsHandler),
  search: tenantProcedure.input(ZSearchMessagesInput).query(searchMessagesHandler),
  volume: tenantProcedure.input(ZMessageVolumeInput).query(messageVolumeHandler),
  verify: tenantProcedure.input(ZVerifyMessageInput).mutation(verifyMessageHandler),
  setLegalHold: tenantProcedure.input(ZSetLegalHoldInput).mutation(setLegalHoldHandler),
  // Operating it: re-run archiving of a failed or stuck message from its receipt's bytes.
  reprocess: tenantProcedure.input(ZMessageIdInput).mutation(reprocessMessageHandler),
  // evidence: signed receipt, inclusion proof, reconciliation against the producer's list.
  receipt: tenantProcedure.input(ZMessageIdInput).query(messageReceiptHandler),
  proof: tenantProcedure.input(ZMessageIdInput).query(messageProofHandler),
  reconcile: tenantProcedure.input(ZReconcileInput).mutation(reconcileHandler),
});
