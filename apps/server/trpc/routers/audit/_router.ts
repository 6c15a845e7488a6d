import { router, tenantProcedure } from '../../trpc';
import { listAuditHandler } from './list.handler';
import { ZListAuditInput } from './list.schema';

export const auditRouter = router({
  list: tenantProcedure.input(ZListAuditInput).query(listAuditHandler),
});
