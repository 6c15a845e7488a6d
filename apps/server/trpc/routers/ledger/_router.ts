import { router, tenantProcedure } from '../../trpc';
import { checkpointHandler } from './checkpoint.handler';
import { consistencyHandler } from './consistency.handler';
import { ZConsistencyInput } from './consistency.schema';
import { ledgerStatusHandler } from './status.handler';

// The tenant's transparency log (RFC 9162); hashes are lowercase hex.
export const ledgerRouter = router({
  checkpoint: tenantProcedure.query(checkpointHandler),
  consistency: tenantProcedure.input(ZConsistencyInput).query(consistencyHandler),
  status: tenantProcedure.query(ledgerStatusHandler),
});
