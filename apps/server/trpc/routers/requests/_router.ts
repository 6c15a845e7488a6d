import { router, tenantProcedure } from '../../trpc';
import { listRequestsHandler } from './list.handler';
import { ZListRequestsInput } from './list.schema';
import { requestTrafficHandler } from './traffic.handler';
import { ZRequestTrafficInput } from './traffic.schema';

export const requestsRouter = router({
  list: tenantProcedure.input(ZListRequestsInput).query(listRequestsHandler),
  traffic: tenantProcedure.input(ZRequestTrafficInput).query(requestTrafficHandler),
});
