import { router, tenantProcedure } from '../../trpc';
import { messageCountsHandler } from './counts.handler';
import { ZMessageCountsInput } from './counts.schema';
import { getMessageHandler } from './get.handler';
import { ZMessageIdInput } from './get.schema';
import { listMessagesHandler } from './list.handler';
import { ZListMessagesInput } from './list.schema';

export const messagesRouter = router({
  get: tenantProcedure.input(ZMessageIdInput).query(getMessageHandler),
  list: tenantProcedure.input(ZListMessagesInput).query(listMessagesHandler),
  counts: tenantProcedure.input(ZMessageCountsInput).query(messageCountsHandler),
});
