import { router, tenantProcedure } from '../../trpc';
import { listRequestsHandler } from './list.handler';
import { ZListRequestsInput } from './list.schema';

export const requestsRouter = router({
  list: tenantProcedure.input(ZListRequestsInput).query(listRequestsHandler),
});
