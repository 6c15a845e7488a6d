import { router, tenantProcedure } from '../../trpc';
import { setCadenceHandler, silenceHandler } from './cadence.handler';
import { ZSetCadenceInput } from './cadence.schema';
import { createEndpointHandler } from './create.handler';
import { ZCreateEndpointInput } from './create.schema';
import { deleteEndpointHandler } from './delete.handler';
import { getEndpointHandler } from './get.handler';
import { ZEndpointIdInput } from './id.schema';
import { listEndpointsHandler } from './list.handler';
import { rotateSecretHandler } from './rotate-secret.handler';
import { ZRotateSecretInput } from './rotate-secret.schema';
import { updateEndpointHandler } from './update.handler';
import { ZUpdateEndpointInput } from './update.schema';

export const endpointsRouter = router({
  create: tenantProcedure.input(ZCreateEndpointInput).mutation(createEndpointHandler),
  list: tenantProcedure.query(listEndpointsHandler),
  get: tenantProcedure.input(ZEndpointIdInput).query(getEndpointHandler),
  update: tenantProcedure.input(ZUpdateEndpointInput).mutation(updateEndpointHandler),
  rotateSecret: tenantProcedure.input(ZRotateSecretInput).mutation(rotateSecretHandler),
  delete: tenantProcedure.input(ZEndpointIdInput).mutation(deleteEndpointHandler),
  // evidence: expected cadence (expectSilenceAtMost) and which endpoints are silent too long.
  setExpectedCadence: tenantProcedure.input(ZSetCadenceInput).mutation(setCadenceHandler),
  silence: tenantProcedure.query(silenceHandler),
});
