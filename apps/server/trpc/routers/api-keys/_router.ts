import { router, tenantProcedure } from '../../trpc';
import { createApiKeyHandler, listApiKeysHandler, revokeApiKeyHandler } from './api-keys.handler';
import { ZApiKeyIdInput, ZCreateApiKeyInput } from './api-keys.schema';

export const apiKeysRouter = router({
  create: tenantProcedure.input(ZCreateApiKeyInput).mutation(createApiKeyHandler),
  list: tenantProcedure.query(listApiKeysHandler),
  revoke: tenantProcedure.input(ZApiKeyIdInput).mutation(revokeApiKeyHandler),
});
